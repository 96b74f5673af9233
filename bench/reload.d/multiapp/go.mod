module example.com/multiapp

go 1.19
