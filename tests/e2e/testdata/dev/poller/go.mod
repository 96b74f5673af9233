module golive.test/poller

go 1.19
