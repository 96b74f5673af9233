module example.com/fdlisten

go 1.19
