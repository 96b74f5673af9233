module example.com/dbgapp

go 1.19
