#!/bin/bash
# Debian's nginx (nginx-light), unmodified, serving static files to curl
# and wrk on the host over loopback: run natively and as "HXRUN
# /usr/sbin/nginx", with the same answers.
#
#   tests/compat/nginx.sh HXRUN
#
# nginx runs in the foreground as one process (daemon off, master_process
# off) with a config, pid file, logs, temp paths and document root all in
# a fresh working directory (the read-write directory of the hxrun run);
# errors go to stderr.  Natively first as the oracle, then under hxrun, on
# a port picked free at run time:
#
#   - curl: a small file, its headers (Date dropped), the index, a 404, a
#     file of 1.5 MiB (sendfile) byte-identical by sha256, a range of it
#   - keep-alive: two requests on one connection (curl reuses it), small
#     and large files
#   - wrk (keep-alive, 10 connections, 2 s) on the small and large files:
#     every response 2xx, no socket errors, and more than one request per
#     connection -- rates are not compared
#   - the access log in the working directory; SIGTERM: nginx exits 0 with
#     its "exiting" log line and removes its pid file
#
# Every step's output is recorded and the hxrun run must match the native
# one, PASS/FAIL per step (server-lib.sh).  Every client command runs under
# timeout; nginx is ended by its pid.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=server-lib.sh
source "$here/server-lib.sh"

NGINX=/usr/sbin/nginx
READY_LIMIT=20 # seconds for nginx to answer
EXIT_LIMIT=10  # seconds for it to exit after SIGTERM
WRK_SECS=2
WRK_CONNS=10

dir="" port="" pid="" log="" url=""
runner=()

# The directory both runs start from: document root and config (the port
# is filled in per run); copied with its times, so Last-Modified and ETag
# are the same in both runs.
make_template() {
	local t=$1
	mkdir -p "$t/html/sub" "$t/logs" "$t/tmp"
	printf '<html><body>hx serves nginx</body></html>\n' >"$t/html/index.html"
	printf 'small file served by nginx\n' >"$t/html/small.txt"
	printf 'in a subdirectory\n' >"$t/html/sub/file.txt"
	# 1.5 MiB and a few bytes: more than one sendfile chunk and an odd tail.
	head -c $((3 * 512 * 1024 + 4321)) /dev/urandom >"$t/html/big.bin"
	cat >"$t/nginx.conf.in" <<'EOF'
daemon off;
master_process off;
worker_processes 1;
pid DIR/nginx.pid;
error_log stderr notice;
events {
	worker_connections 256;
}
http {
	types {
		text/html html;
		text/plain txt;
		application/octet-stream bin;
	}
	default_type application/octet-stream;
	access_log DIR/logs/access.log;
	client_body_temp_path DIR/tmp/body;
	proxy_temp_path DIR/tmp/proxy;
	fastcgi_temp_path DIR/tmp/fastcgi;
	uwsgi_temp_path DIR/tmp/uwsgi;
	scgi_temp_path DIR/tmp/scgi;
	sendfile on;
	keepalive_timeout 30;
	server {
		listen 127.0.0.1:PORT;
		server_name localhost;
		root DIR/html;
		index index.html;
	}
}
EOF
}

# start: nginx in $dir on a free port (retried when the port was taken
# meanwhile), answering; sets port, pid, log and url.
start() {
	log=$res/$who/nginx.log
	for _ in 1 2 3; do
		port=$(free_port)
		url=http://127.0.0.1:$port
		sed -e "s|DIR|$dir|g" -e "s|PORT|$port|g" "$dir/nginx.conf.in" >"$dir/nginx.conf"
		srv_start "$log" env -C "$dir" "${runner[@]}" "$NGINX" -e stderr -p "$dir/" -c "$dir/nginx.conf"
		pid=$srv_pid
		srv_wait_ready "$pid" "$READY_LIMIT" timeout -k 1 2 curl -sf -o /dev/null "$url/small.txt"
		case $? in
		0) return 0 ;;
		2) break ;;
		esac
		srv_wait_exit "$pid" 1
		grep -q 'Address already in use' "$log" || break
	done
	srv_stop "$pid"
	return 1
}

# same_file NAME FILE: whether FILE (downloaded) is html/big.bin, byte for
# byte.
same_file() {
	local a b
	a=$(sha256sum <"$dir/html/big.bin")
	b=$(sha256sum 2>/dev/null <"$1")
	if [[ $a == "$b" ]]; then
		echo "identical ($(stat -c %s "$1") bytes)"
	else
		echo "differs ($(stat -c %s "$1" 2>/dev/null || echo no) bytes)"
	fi
}

# wrk_check NAME PATH CONNS: wrk over keep-alive connections; records
# whether every response was 2xx with no socket errors and more than one
# request per connection.
wrk_check() {
	local name=$1 path=$2 conns=$3 out n
	out=$(timeout -k 2 $((WRK_SECS + 15)) wrk -t2 -c"$conns" -d"$WRK_SECS"s --timeout 5s \
		"$url$path" 2>&1 </dev/null)
	n=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' <<<"$out")
	local verdict="wrk: ${n:-no} requests"
	if [[ -z $n ]] || grep -q -e 'Non-2xx' -e 'Socket errors' <<<"$out" || ((n <= 2 * conns)); then
		note "$name" "$verdict, $(grep -e 'Non-2xx' -e 'Socket errors' <<<"$out" | tr -s ' ')"
		printf '%s\n' "$out" >"$res/$who/$name.wrk"
	else
		note "$name" "wrk: all 2xx, no socket errors, more than 2 requests per connection"
	fi
}

scenario() {
	mkdir -p "$res/$who"
	start || note start "nginx did not answer"
	rec small curl -sS "$url/small.txt"
	expect small '^small file served by nginx$'
	# shellcheck disable=SC2016 # the inner shell expands $1
	rec head bash -c 'curl -sS -I "$1" | tr -d "\r" | grep -v -i "^date:"' - "$url/small.txt"
	expect head '^HTTP/1.1 200 OK'
	rec index curl -sS "$url/"
	rec subdir curl -sS "$url/sub/file.txt"
	rec notfound curl -s -o /dev/null -w '%{http_code}\n' "$url/missing"
	expect notfound '^404$'
	rec big curl -sS -o "$dir/dl.big" "$url/big.bin"
	note big.same "$(same_file "$dir/dl.big")"
	expect big.same '^identical '
	# shellcheck disable=SC2016
	rec range bash -c 'curl -sS -r 1000000-1099999 "$1" | sha256sum' - "$url/big.bin"
	note range.same "$(cmp -s <(tail -c +1000001 "$dir/html/big.bin" | head -c 100000 | sha256sum) \
		"$res/$who/range" && echo same || echo differs)"
	expect range.same '^same$'
	rec keepalive curl -sS -o /dev/null -o /dev/null -w '%{http_code} connections opened: %{num_connects}\n' \
		"$url/small.txt" "$url/index.html"
	expect keepalive $'^200 connections opened: 1\n200 connections opened: 0$'
	rm -f "$dir/dl.1" "$dir/dl.2"
	rec keepalive.big curl -sS -o "$dir/dl.1" -o "$dir/dl.2" "$url/big.bin" "$url/big.bin"
	note keepalive.big.same "$(same_file "$dir/dl.1"), $(same_file "$dir/dl.2")"
	expect keepalive.big.same '^identical .*, identical '
	note access.log "access.log: $(wc -l <"$dir/logs/access.log" 2>/dev/null || echo missing) lines"
	expect access.log '^access.log: 12 lines$'
	wrk_check wrk.small /small.txt "$WRK_CONNS"
	expect wrk.small '^wrk: all 2xx'
	wrk_check wrk.big /big.bin 4
	expect wrk.big '^wrk: all 2xx'
	kill -TERM "$pid" 2>/dev/null
	srv_wait_exit "$pid" "$EXIT_LIMIT"
	note sigterm.status "exit status $srv_status"
	expect sigterm.status '^exit status 0$'
	# Linux says who sent the signal ("received from PID"); hx does not
	# know the sender (si_pid 0), which is not what is checked here.
	note sigterm.log "$(sed -n -e 's/ received from [0-9]*,/ received,/' \
		-e 's/^[0-9/]* [0-9:]* \[notice\] [0-9]*#[0-9]*: \(signal .* received, exiting\|exit\)$/\1/p' "$log")"
	expect sigterm.log $'^signal 15 \\(SIGTERM\\) received, exiting\nexit$'
	note pidfile "$([[ -e $dir/nginx.pid ]] && echo "pid file left" || echo "pid file removed")"
}

main() {
	if (($# != 1)); then
		echo "usage: $0 HXRUN" >&2
		exit 2
	fi
	srv_set_hxrun "$1"
	local p
	for p in "$NGINX" /usr/bin/curl /usr/bin/wrk; do
		if [[ ! -x $p ]]; then
			echo "${0##*/}: $p missing (apt-get install nginx-light curl wrk)" >&2
			exit 2
		fi
	done
	ulimit -c 0
	res=$(mktemp -d "${TMPDIR:-/tmp}/hx-nginx-results.XXXXXX")
	make_template "$res/template"
	for who in native hxrun; do
		runner=()
		[[ $who == hxrun ]] && runner=("$HXRUN")
		dir=$(mktemp -d "${TMPDIR:-/tmp}/hx-nginx.XXXXXX")
		cp -a "$res/template/." "$dir/"
		scenario
		srv_cleanup
		rm -rf "$dir"
	done
	srv_report nginx
	if ((failed == 0)); then
		rm -rf "$res"
	else
		echo "nginx logs and outputs are in $res"
	fi
	echo "$passed passed, $failed failed"
	((failed == 0))
}

main "$@"
