module golive.bench/reloadpoll

go 1.19
