// counts the page's loads in this tab (sessionStorage survives a reload)
sessionStorage.loads = String((+sessionStorage.loads || 0) + 1);
