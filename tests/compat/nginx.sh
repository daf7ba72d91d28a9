#!/bin/bash
# Debian's nginx (nginx-light), unmodified, serving static files to curl
# and wrk on the host over loopback: run natively and as "HXRUN
# /usr/sbin/nginx", with the same answers.
#
#   tests/compat/nginx.sh HXRUN
#
# nginx runs in the foreground (daemon off) with a config, pid file, logs,
# temp paths and document root all in a fresh working directory (the
# read-write directory of the hxrun run); errors go to stderr.  Natively
# first as the oracle, then under hxrun, on a port picked free at run time,
# first as one process (master_process off):
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
# then with its default master process and two workers (as root with
# "user root"), each a process of its own (under hxrun a VM of its own),
# found by pid as the master's children:
#
#   - the workers are the master's children, serving curl and wrk
#   - SIGHUP (nginx -s reload): two new workers, the old ones exit 0, and
#     the new ones serve
#   - SIGQUIT (nginx -s quit) while a 16 MiB response is still being
#     sent: the response ends whole, the master exits 0 after its
#     workers, and no process of the run is left
#   - a new master: SIGTERM (nginx -s stop) ends it and its workers
#   - the master's own log lines for each, and no error in its log
#
# Every step's output is recorded and the hxrun run must match the native
# one, PASS/FAIL per step (server-lib.sh).  Every client command runs under
# timeout; nginx is ended by its pid.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=server-lib.sh
source "$here/server-lib.sh"

NGINX=/usr/sbin/nginx
PYTHON=/usr/bin/python3
READY_LIMIT=20 # seconds for nginx to answer
EXIT_LIMIT=10  # seconds for it to exit after SIGTERM
WRK_SECS=2
WRK_CONNS=10

dir="" port="" pid="" log="" url=""
runner=()

# Steps of behaviour hx does not have yet (server-lib.sh: SKIP unless
# HX_PENDING=1).
PENDING=()

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
	# 16 MiB: four times what the kernel buffers for one loopback
	# connection (tcp_wmem's 4 MiB; the client's receive buffer is small),
	# so nginx is still sending it when the client has the headers.
	head -c $((16 * 1024 * 1024)) /dev/urandom >"$t/html/drain.bin"
	cat >"$t/nginx.conf.in" <<'EOF'
daemon off;
master_process MASTER;
worker_processes WORKERS;
USER
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

# start NAME MODE: nginx in $dir on a free port (retried when the port was
# taken meanwhile), answering, its log in server-NAME.log; MODE single is one
# process (master_process off), master a master process with two workers
# (as root, "user root": the default user could not read the directory).
# Sets port, pid, log and url.
start() {
	local master=off workers=1 user=""
	if [[ $2 == master ]]; then
		master=on workers=2
		((EUID == 0)) && user="user root;"
	fi
	log=$res/$who/server-$1.log
	for _ in 1 2 3; do
		port=$(free_port)
		url=http://127.0.0.1:$port
		sed -e "s|DIR|$dir|g" -e "s|PORT|$port|g" -e "s|MASTER|$master|" \
			-e "s|WORKERS|$workers|" -e "s|USER|$user|" "$dir/nginx.conf.in" >"$dir/nginx.conf"
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
	start single single || note start "nginx did not answer"
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
	# nginx says who sent the signal ("received from PID", under hxrun
	# too): this script, whose pid differs from run to run.
	note sigterm.log "$(sed -n -e 's/ received from [0-9]*,/ received,/' \
		-e 's/^[0-9/]* [0-9:]* \[notice\] [0-9]*#[0-9]*: \(signal .* received, exiting\|exit\)$/\1/p' "$log")"
	expect sigterm.log $'^signal 15 \\(SIGTERM\\) received, exiting\nexit$'
	note pidfile "$([[ -e $dir/nginx.pid ]] && echo "pid file left" || echo "pid file removed")"
}

# ---- the master process and its workers ----

# two_workers: the master ($pid) has exactly two children.
two_workers() {
	local c
	c=$(srv_children "$pid")
	[[ $(wc -w <<<"$c") == 2 ]]
}

# replaced OLD: the master has two children, none of OLD (pids), and has
# logged that each of OLD exited (it logs after reaping).
replaced() {
	local c w
	c=" $(srv_children "$pid")"
	[[ $(wc -w <<<"$c") == 2 ]] || return 1
	for w in $1; do
		[[ $c == *" $w "* ]] && return 1
		grep -q "\] $pid#$pid: worker process $w exited with code" "$log" || return 1
	done
	return 0
}

# workers WORKERS: how many, and whether each is a child of the master
# running its program (under hxrun both are hxrun: each process a VM in a
# host process of its own).
workers() {
	local n=0 w ok=yes
	for w in $1; do
		n=$((n + 1))
		[[ $(awk '/^PPid:/ { print $2 }' "/proc/$w/status" 2>/dev/null) == "$pid" ]] || ok=no
		[[ $(readlink "/proc/$w/exe") == "$(readlink "/proc/$pid/exe")" ]] || ok=no
	done
	echo "$n workers, each a child of the master running its program: $ok"
}

# left NAME PIDS: after an end, no process of the run is left, by pid
# (waiting a bounded time for the last to be reaped).
left() {
	local name=$1
	shift
	if srv_gone "$EXIT_LIMIT" "$@"; then
		note "$name" "no process of the run left ($# pids)"
	else
		note "$name" "left: $(srv_alive "$@") of $*"
	fi
}

# masterlog NAME: the master's own log lines of what it was told and did
# (sender, pids and times dropped), as far as its log goes now.
masterlog() {
	note "$1" "$(sed -n -e "s/^[0-9/]* [0-9:]* \[notice\] $pid#$pid: //p" "$log" |
		sed -e 's/ received from [0-9]*,/ received,/' \
			-e 's/^\(start worker process\|worker process\) [0-9]*/\1 N/' |
		grep -E '^(signal [0-9]+ \(SIG(HUP|QUIT|TERM)\) received|reconfiguring|start worker process|worker process N exited|exit$)')"
}

# alerts NAME: the lines of the log that say something went wrong (time
# and pids dropped).
alerts() {
	local out
	out=$(sed -E -n 's/^[0-9/]+ [0-9:]+ \[(error|crit|alert|emerg)\] [0-9]+#[0-9]+: /[\1] /p' "$log")
	note "$1" "${out:-no error, crit, alert or emerg lines}"
	expect "$1" '^no error'
}

# A client that asks for drain.bin on a connection with a small receive
# buffer, sends SIGQUIT to the master once it has the headers (nginx is
# then still sending), then reads on: graceful shutdown lets the response
# end whole.
DRAIN_PY='
import hashlib, os, signal, socket, sys
port, master, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.settimeout(8)
s.connect(("127.0.0.1", port))
s.sendall(b"GET /drain.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
data = b""
while b"\r\n\r\n" not in data:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
head, _, body = data.partition(b"\r\n\r\n")
print(head.split(b"\r\n")[0].decode())
os.kill(master, signal.SIGQUIT)
h = hashlib.sha256(body)
n = len(body)
while True:
    chunk = s.recv(1 << 20)
    if not chunk:
        break
    h.update(chunk)
    n += len(chunk)
with open(path, "rb") as f:
    want = hashlib.sha256(f.read()).hexdigest()
print(n, "bytes after SIGQUIT,", "whole" if h.hexdigest() == want else "not the file")'

scenario_master() {
	local w0 w1 w2
	start master master || note master.start "nginx did not answer"
	srv_wait_ready "$pid" "$READY_LIMIT" two_workers
	w0=$(srv_children "$pid")
	note master.workers "$(workers "$w0")"
	expect master.workers '^2 workers, each a child of the master running its program: yes$'
	rec master.small curl -sS "$url/small.txt"
	expect master.small '^small file served by nginx$'
	wrk_check master.wrk /small.txt "$WRK_CONNS"
	expect master.wrk '^wrk: all 2xx'

	# nginx -s reload: SIGHUP to the master, which starts new workers and
	# ends the old ones gracefully.
	kill -HUP "$pid" 2>/dev/null
	if srv_wait_ready "$pid" "$EXIT_LIMIT" replaced "$w0"; then
		note master.hup "the old workers exited, two new ones"
	else
		note master.hup "not replaced: workers $w0 before, $(srv_children "$pid") after"
	fi
	expect master.hup '^the old workers exited, two new ones$'
	w1=$(srv_children "$pid")
	note master.hup.workers "$(workers "$w1")"
	rec master.hup.small curl -sS "$url/small.txt"
	expect master.hup.small '^small file served by nginx$'
	rec master.hup.big curl -sS -o "$dir/dl.hup" "$url/big.bin"
	note master.hup.big.same "$(same_file "$dir/dl.hup")"
	expect master.hup.big.same '^identical '
	masterlog master.hup.log
	alerts master.alerts
	expect master.hup.log $'^start worker processes\nstart worker process N\nstart worker process N\nsignal 1 \\(SIGHUP\\) received, reconfiguring\nreconfiguring\nstart worker processes\nstart worker process N\nstart worker process N\nworker process N exited with code 0\nworker process N exited with code 0$'

	# SIGQUIT (nginx -s quit): the workers finish what they serve, then
	# all exit.
	rec master.quit.drain "$PYTHON" -c "$DRAIN_PY" "$port" "$pid" "$dir/html/drain.bin"
	expect master.quit.drain $'^HTTP/1.1 200 OK\n16777216 bytes after SIGQUIT, whole$'
	srv_wait_exit "$pid" "$EXIT_LIMIT"
	note master.quit.status "exit status $srv_status"
	expect master.quit.status '^exit status 0$'
	# shellcheck disable=SC2086 # the lists of pids
	left master.quit.left "$pid" $w0 $w1
	expect master.quit.left '^no process of the run left \(5 pids\)$'
	masterlog master.quit.log
	expect master.quit.log $'\nsignal 3 \\(SIGQUIT\\) received, shutting down\nworker process N exited with code 0\nworker process N exited with code 0\nexit$'
	note master.quit.pidfile "$([[ -e $dir/nginx.pid ]] && echo "pid file left" || echo "pid file removed")"

	# SIGTERM (nginx -s stop): everything ends at once.
	start term master || note master.term.start "nginx did not answer"
	srv_wait_ready "$pid" "$READY_LIMIT" two_workers
	w2=$(srv_children "$pid")
	note master.term.workers "$(workers "$w2")"
	rec master.term.small curl -sS "$url/small.txt"
	kill -TERM "$pid" 2>/dev/null
	srv_wait_exit "$pid" "$EXIT_LIMIT"
	note master.term.status "exit status $srv_status"
	expect master.term.status '^exit status 0$'
	# shellcheck disable=SC2086
	left master.term.left "$pid" $w2
	expect master.term.left '^no process of the run left \(3 pids\)$'
	masterlog master.term.log
	expect master.term.log $'^start worker processes\nstart worker process N\nstart worker process N\nsignal 15 \\(SIGTERM\\) received, exiting\nworker process N exited with code 0\nworker process N exited with code 0\nexit$'
	alerts master.term.alerts
	note master.term.pidfile "$([[ -e $dir/nginx.pid ]] && echo "pid file left" || echo "pid file removed")"
}

main() {
	if (($# != 1)); then
		echo "usage: $0 HXRUN" >&2
		exit 2
	fi
	srv_set_hxrun "$1"
	local p
	for p in "$NGINX" "$PYTHON" /usr/bin/curl /usr/bin/wrk /usr/bin/pgrep; do
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
		scenario_master
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
