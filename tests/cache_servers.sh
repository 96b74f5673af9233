#!/usr/bin/env bash
# tests/cache_servers.sh - real servers for the shared compile cache's tests,
# on 127.0.0.1 and a free port, each in its own temporary directory:
#
#   cache_servers.sh redis [PASSWORD | USER:PASSWORD]
#       redis-server, no persistence; with PASSWORD: requirepass; with
#       USER:PASSWORD: an ACL user with every right (and no default user)
#   cache_servers.sh nginx [USER:PASSWORD | token=TOKEN]
#       nginx serving WebDAV PUT/DELETE (GET/HEAD as files) at /, root
#       DIR/www; with USER:PASSWORD: HTTP Basic auth; with token=TOKEN:
#       only requests with "Authorization: Bearer TOKEN". /fail/ always
#       answers 500.
#   cache_servers.sh hang
#       a listener that accepts connections and never answers
#
# Prints "PORT <n>" and "DIR <dir>" once the server accepts connections,
# then keeps it running until its standard input closes (the test that
# started it exited or closed the pipe), it gets SIGTERM/SIGINT, or
# CACHE_SERVERS_TIMEOUT seconds (default 1800: a loaded machine runs t65 for minutes) pass; then stops the server,
# removes the directory and exits 0. Everything the server says goes to
# DIR/server.log, shown on stderr when it does not start.
set -euo pipefail

kind=${1:?usage: cache_servers.sh redis|nginx|hang [CREDENTIALS]}
cred=${2:-}
limit=${CACHE_SERVERS_TIMEOUT:-1800}

dir=$(mktemp -d "${TMPDIR:-/tmp}/golive-cache-srv-XXXXXX")
pid=

# stop [STATUS]: stops the server, removes the directory, exits STATUS ($? by default).
stop() {
	local rc=${1:-$?}
	trap - EXIT TERM INT
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		# nginx's master stops its workers; give everything 5 s, then force.
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$dir"
	exit "$rc"
}
trap stop EXIT
trap 'stop 0' TERM INT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Whether something accepts connections on 127.0.0.1:$1.
listening() {
	python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.settimeout(0.5)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

start_redis() {
	local args=(--port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir"
		--daemonize no --logfile "$dir/server.log" --protected-mode no)
	case $cred in
	'') ;;
	*:*) args+=(--user default off --user "${cred%%:*}" on ">${cred#*:}" '~*' '&*' '+@all') ;;
	*) args+=(--requirepass "$cred") ;;
	esac
	redis-server "${args[@]}" </dev/null >>"$dir/server.log" 2>&1 &
	pid=$!
}

start_nginx() {
	local auth=
	mkdir -p "$dir/www" "$dir/tmp"
	if [ "${cred#token=}" != "$cred" ]; then
		auth="if (\$http_authorization != \"Bearer ${cred#token=}\") { return 401; }"
	elif [ -n "$cred" ]; then
		printf '%s:%s\n' "${cred%%:*}" "$(openssl passwd -apr1 "${cred#*:}")" >"$dir/htpasswd"
		auth="auth_basic \"golive cache\"; auth_basic_user_file $dir/htpasswd;"
	fi
	local user=
	# Root's workers would run as nobody and could not write the directory.
	[ "$(id -u)" = 0 ] && user="user root;"
	cat >"$dir/nginx.conf" <<EOF
$user
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/server.log warn;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	server {
		listen 127.0.0.1:$port;
		root $dir/www;
		location / {
			dav_methods PUT DELETE;
			create_full_put_path on;
			dav_access user:rw group:rw all:r;
			client_max_body_size 0;
			$auth
		}
		location /fail/ {
			return 500;
		}
	}
}
EOF
	nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/server.log" </dev/null >>"$dir/server.log" 2>&1 &
	pid=$!
}

start_hang() {
	python3 - "$port" </dev/null >>"$dir/server.log" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
held = []
while True:
    c, _ = s.accept()
    held.append(c)  # never read, never answered, never closed
EOF
	pid=$!
}

# A port can be taken between free_port and the server's bind: try again.
for attempt in 1 2 3 4 5; do
	port=$(free_port)
	: >"$dir/server.log"
	"start_$kind"
	up=
	for _ in $(seq 100); do
		if listening "$port"; then
			up=1
			break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$up" ] && break
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=
	if [ "$attempt" = 5 ]; then
		echo "cache_servers.sh: $kind did not start:" >&2
		cat "$dir/server.log" >&2
		exit 1
	fi
done

echo "PORT $port"
echo "DIR $dir"
# Until stdin closes or the time is up; a signal runs stop() at once.
read -r -t "$limit" _ || true
stop 0
