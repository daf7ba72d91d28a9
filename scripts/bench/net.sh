#!/bin/bash
# hx network server benchmarks: Debian's redis-server under redis-benchmark
# and Debian's nginx under wrk, clients on the host over loopback, each
# line the native rate, the hx rate ("hxrun SERVER": fastcalls, the
# default) and the rate with syscall instructions ("hxrun --no-fastcall
# SERVER"), each with its ratio to native (below 1 means hx is slower),
# measured in this one run; then the VM exits per request of each hx run
# (hxrun --stats: all the run's exits, start and shutdown included, over
# the requests the clients made).
#
#   scripts/bench/net.sh HXRUN BUILDDIR
#
# Environment (defaults in brackets), for quick runs:
#   REDIS_N [200000]  requests per redis-benchmark test (set and get)
#   REDIS_C [50]      redis-benchmark clients
#   REDIS_P [16]      pipeline depth of the pipelined run
#   WRK_T [2] WRK_C [50] WRK_D [5s]   wrk threads, connections, duration
#   BIG [1048576]     size of nginx's large file in bytes
#   HXFLAGS []        extra hxrun options for both hx runs
# Servers listen on free loopback ports and are ended by their pid.

set -u

HX=$(realpath "$1")
B=$(realpath -m "$2")/bench
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../../tests/compat/server-lib.sh
source "$here/../../tests/compat/server-lib.sh"

REDIS_N=${REDIS_N:-200000}
REDIS_C=${REDIS_C:-50}
REDIS_P=${REDIS_P:-16}
WRK_T=${WRK_T:-2}
WRK_C=${WRK_C:-50}
WRK_D=${WRK_D:-5s}
BIG=${BIG:-1048576}
REDIS=/usr/bin/redis-server
NGINX=/usr/sbin/nginx

for p in "$REDIS" /usr/bin/redis-benchmark /usr/bin/redis-cli "$NGINX" /usr/bin/wrk /usr/bin/curl; do
	if [[ ! -x $p ]]; then
		echo "${0##*/}: $p missing (scripts/deps.sh installs it)" >&2
		exit 2
	fi
done
mkdir -p "$B"
work=$(mktemp -d "$B/net.XXXXXX")
trap 'srv_cleanup; rm -rf "$work"' EXIT

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2fx", b / a; else print "-" }'; }
per() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
row() { printf "%-44s %11s %11s %9s %11s %9s\n" "$@"; }

# hx_args WHO: the command prefix of a native, hx or hxsys (--no-fastcall)
# server, in run[].
hx_args() {
	run=()
	[[ $1 == hx ]] && run=("$HX" --stats ${HXFLAGS-})
	[[ $1 == hxsys ]] && run=("$HX" --stats --no-fastcall ${HXFLAGS-})
}

# exits LOG: the VM exits hxrun --stats printed at exit.
exits() { sed -n 's/^hxrun: stats: \([0-9]*\) VM exits$/\1/p' "$1"; }

# ---- redis ----

# redis_run WHO ARGS...: a redis-server (native, or under hxrun --stats)
# in $work/redis, then redis-benchmark ARGS against it; sets r_set, r_get
# (requests per second, "failed" if not measured) and r_exits.
redis_run() {
	local who=$1 port pid log=$work/redis.$1.log out
	shift
	local -a run=()
	hx_args "$who"
	r_set=failed r_get=failed r_exits=""
	mkdir -p "$work/redis"
	port=$(free_port)
	srv_start "$log" env -C "$work/redis" "${run[@]}" "$REDIS" --port "$port" --bind 127.0.0.1 --save ''
	pid=$srv_pid
	if srv_wait_ready "$pid" 20 timeout -k 1 2 redis-cli -p "$port" ping; then
		out=$(timeout -k 5 600 redis-benchmark -p "$port" -t set,get -n "$REDIS_N" -c "$REDIS_C" -q "$@" \
			2>&1 </dev/null | tr '\r' '\n')
		r_set=$(sed -n 's/^SET: \([0-9.]*\) requests per second.*/\1/p' <<<"$out" | tail -n 1)
		r_get=$(sed -n 's/^GET: \([0-9.]*\) requests per second.*/\1/p' <<<"$out" | tail -n 1)
		: "${r_set:=failed}" "${r_get:=failed}"
	fi
	srv_stop "$pid"
	[[ $who != native ]] && r_exits=$(exits "$log")
}

# ---- nginx ----

mkdir -p "$work/nginx/html" "$work/nginx/logs" "$work/nginx/tmp"
printf 'small file served by nginx\n' >"$work/nginx/html/small.txt"
head -c "$BIG" /dev/urandom >"$work/nginx/html/big.bin"

# nginx_run WHO PATH [WRK ARGS...]: nginx (native, or under hxrun --stats)
# in $work/nginx, then wrk on PATH; sets w_rate (requests per second),
# w_reqs (requests made) and w_exits.
nginx_run() {
	local who=$1 path=$2 port pid log=$work/nginx.$1.log out d=$work/nginx
	shift 2
	local -a run=()
	hx_args "$who"
	w_rate=failed w_reqs="" w_exits=""
	port=$(free_port)
	cat >"$d/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $d/nginx.pid;
error_log stderr error;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	sendfile on;
	keepalive_requests 1000000;
	server { listen 127.0.0.1:$port; root $d/html; }
}
EOF
	srv_start "$log" env -C "$d" "${run[@]}" "$NGINX" -e stderr -p "$d/" -c "$d/nginx.conf"
	pid=$srv_pid
	if srv_wait_ready "$pid" 20 timeout -k 1 2 curl -sf -o /dev/null "http://127.0.0.1:$port/small.txt"; then
		out=$(timeout -k 5 120 wrk -t"$WRK_T" -c"$WRK_C" -d"$WRK_D" "$@" "http://127.0.0.1:$port$path" 2>&1 </dev/null)
		w_rate=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$out")
		w_reqs=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' <<<"$out")
		: "${w_rate:=failed}"
		# wrk counts only complete responses: errors make a rate meaningless.
		if grep -q -e 'Non-2xx' -e 'Socket errors' <<<"$out"; then
			w_rate="$w_rate*"
			w_note=1
		fi
	fi
	srv_stop "$pid"
	[[ $who != native ]] && w_exits=$(exits "$log")
}

# ---- the table ----

w_note=""
exit_rows=()
row "benchmark (requests per second)" native hx hx/native "no fastcall" ratio

for mode in plain pipelined; do
	args=()
	label="-c $REDIS_C"
	[[ $mode == pipelined ]] && args=(-P "$REDIS_P") label="-c $REDIS_C -P $REDIS_P"
	redis_run native "${args[@]}"
	n_set=$r_set n_get=$r_get
	redis_run hxsys "${args[@]}"
	s_set=$r_set s_get=$r_get s_exits=$r_exits
	redis_run hx "${args[@]}"
	row "redis SET ($label, -n $REDIS_N)" "$n_set" "$r_set" "$(ratio "$n_set" "$r_set")" \
		"$s_set" "$(ratio "$n_set" "$s_set")"
	row "redis GET ($label, -n $REDIS_N)" "$n_get" "$r_get" "$(ratio "$n_get" "$r_get")" \
		"$s_get" "$(ratio "$n_get" "$s_get")"
	# Requests: both tests, and the CONFIG GETs redis-benchmark starts with.
	exit_rows+=("$(printf "%-44s %11s %11s %11s" "redis set,get ($label)" "${r_exits:--}" \
		"$(per "$r_exits" $((2 * REDIS_N)))" "$(per "$s_exits" $((2 * REDIS_N)))")")
done

big_label="$((BIG / 1024)) KiB"
((BIG == 1048576)) && big_label="1 MiB"
for f in "small:/small.txt:27 B file" "big:/big.bin:$big_label file" \
	"close:/small.txt:27 B file, Connection: close"; do
	IFS=: read -r key path label <<<"$f"
	extra=()
	[[ $key == close ]] && extra=(-H "Connection: close")
	nginx_run native "$path" "${extra[@]}"
	n_rate=$w_rate
	nginx_run hxsys "$path" "${extra[@]}"
	s_rate=$w_rate s_per=$(per "$w_exits" "$w_reqs")
	nginx_run hx "$path" "${extra[@]}"
	row "nginx $label (wrk -c $WRK_C -d$WRK_D)" "$n_rate" "$w_rate" "$(ratio "${n_rate%\*}" "${w_rate%\*}")" \
		"$s_rate" "$(ratio "${n_rate%\*}" "${s_rate%\*}")"
	exit_rows+=("$(printf "%-44s %11s %11s %11s" "nginx $label" "${w_exits:--}" "$(per "$w_exits" "$w_reqs")" "$s_per")")
done

echo
printf "%-44s %11s %11s %11s\n" "hx runs" "VM exits" "per request" "no fastcall"
printf '%s\n' "${exit_rows[@]}"
[[ -n $w_note ]] && echo "* wrk saw errors or non-2xx responses in this run: the rate counts only what completed"
exit 0
