module golive.bench/reloadapp

go 1.19
