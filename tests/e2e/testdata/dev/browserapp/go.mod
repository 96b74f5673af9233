module example.com/browserapp

go 1.19
