#!/bin/bash
# Debian's redis-server, unmodified, as a server for host clients: run
# natively and as "HXRUN /usr/bin/redis-server", each serving redis-cli and
# redis-benchmark on the host over loopback, with the same answers.
#
#   tests/compat/redis.sh HXRUN
#
# One scenario, run twice in a fresh working directory (the read-write
# directory of the hxrun run), natively first as the oracle:
#
#   1. --save '': commands of every type from redis-cli, a 1 MB value,
#      redis-benchmark (set,get), SAVE (dump.rdb in the working directory),
#      then SIGTERM: redis shuts down without saving (no save points).
#   2. a new server loads dump.rdb back: the same data, key by key; started
#      with a save point, it is sent SIGTERM and saves on the way out.
#   3. a new server has that last key; SIGINT (Ctrl-C) saves likewise.
#   4. a new server has the key written before SIGINT; SHUTDOWN NOSAVE.
#   5. in a directory of its own, appendonly yes with Debian's save points
#      (none falls due): the commands again; a BGSAVE held by a delay per
#      key, whose child is found by pid as the server's child running its
#      program (under hxrun a VM of its own), then ended with SIGUSR1 as
#      redis ends its children (not a failed save); a BGSAVE to the end
#      (status ok, dump.rdb valid with every key); BGREWRITEAOF (status
#      ok, redis 7's appendonlydir: the manifest, a valid base file with
#      every key, a later write in the new incr file); DEBUG RELOAD (OK,
#      the same data); SIGTERM saves.
#   6. a new server loads the append-only file: the same data; with a save
#      point of one change in one second it saves by itself after a write
#      (polled, bounded, until no change is left unsaved); writes go on,
#      SHUTDOWN saves; no MISCONF in any reply or log.
#
# Every step's output (redis-cli replies, the server's log lines that tell
# how it shut down, its exit status, facts about dump.rdb) is recorded and
# the hxrun run must match the native one, PASS/FAIL per step; a few steps
# also have their expected native output checked, so a broken scenario
# cannot pass.  Ports are picked free at run time, every client command
# runs under timeout, every wait is a bounded poll, servers are ended by
# their pid (server-lib.sh).
# REDIS_TEST_N sets redis-benchmark's requests per test (default 20000).

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=server-lib.sh
source "$here/server-lib.sh"

REDIS=/usr/bin/redis-server
CLI=/usr/bin/redis-cli
BENCH=/usr/bin/redis-benchmark
CMD_LIMIT=10   # seconds for one client command
READY_LIMIT=20 # seconds for a server to answer PING
EXIT_LIMIT=10  # seconds for a server to exit after a signal
SAVE_LIMIT=30  # seconds for a background save or rewrite to end
CHECK_RDB=/usr/bin/redis-check-rdb
CHECK_AOF=/usr/bin/redis-check-aof
N=${REDIS_TEST_N:-20000}

who="" dir="" res="" port="" pid="" log="" nstart=0
runner=()

# cli NAME ARGS...: a redis-cli command against the current server.
cli() {
	local name=$1
	shift
	rec "$name" "$CLI" -p "$port" "$@"
}

# ---- the server ----

# pong PORT: the server there answers PING with PONG (while it loads its
# data it answers "-LOADING", and redis-cli still exits 0).
pong() {
	[[ $(timeout -k 1 2 "$CLI" -p "$1" ping 2>/dev/null </dev/null) == PONG ]]
}

# start [ARGS...]: a redis-server in $dir on a free port (retried when the
# port was taken meanwhile), answering PING; sets port, pid and log.
start() {
	nstart=$((nstart + 1))
	log=$res/$who/server.$nstart.log
	for _ in 1 2 3; do
		port=$(free_port)
		srv_start "$log" env -C "$dir" "${runner[@]}" "$REDIS" --port "$port" --bind 127.0.0.1 "$@"
		pid=$srv_pid
		srv_wait_ready "$pid" "$READY_LIMIT" pong "$port"
		case $? in
		0) return 0 ;;
		2) break ;;
		esac
		# It exited: the port may have been taken by someone else.
		srv_wait_exit "$pid" 1
		grep -q 'Address already in use' "$log" || break
	done
	srv_stop "$pid"
	return 1
}

# stopped NAME: wait for the server to exit; record its status and the log
# lines that say how it shut down (without pid and time).
stopped() {
	srv_wait_exit "$pid" "$EXIT_LIMIT"
	note "$1.status" "exit status $srv_status"
	note "$1.log" "$(sed -e 's/^[0-9]*:[A-Z] [0-9]* [A-Za-z]* [0-9]* [0-9:.]* [#*.-] //' \
		-e 's/^[0-9]*:signal-handler ([0-9]*) //' "$log" |
		sed -n '/^Received SIG[A-Z]* scheduling shutdown\|^User requested shutdown/,$p' |
		grep -E '^(Received SIG|User requested shutdown|Saving the final RDB|DB saved on disk|Redis is now ready to exit)')"
}

# The whole data set in one reply: each key (sorted) with its type, whether
# it expires, and the SHA-1 of its value (set and hash members sorted).
DUMP_LUA='
local keys = redis.call("KEYS", "*")
table.sort(keys)
local out = {}
for _, k in ipairs(keys) do
	local t = redis.call("TYPE", k).ok
	local v = ""
	if t == "string" then
		v = redis.call("GET", k)
	elseif t == "list" then
		v = table.concat(redis.call("LRANGE", k, 0, -1), ",")
	elseif t == "set" then
		local m = redis.call("SMEMBERS", k)
		table.sort(m)
		v = table.concat(m, ",")
	elseif t == "hash" then
		local h, m = redis.call("HGETALL", k), {}
		for i = 1, #h, 2 do m[#m + 1] = h[i] .. "=" .. h[i + 1] end
		table.sort(m)
		v = table.concat(m, ",")
	elseif t == "zset" then
		v = table.concat(redis.call("ZRANGE", k, 0, -1, "WITHSCORES"), ",")
	end
	local ttl = redis.call("TTL", k) > 0 and "expires" or "persistent"
	out[#out + 1] = k .. " " .. t .. " " .. ttl .. " " .. redis.sha1hex(v)
end
return out'

dump() {
	cli "$1" eval "$DUMP_LUA" 0
}

# rdb NAME: what dump.rdb in the working directory looks like.
rdb() {
	if [[ -s $dir/dump.rdb ]]; then
		note "$1" "dump.rdb $(head -c 9 "$dir/dump.rdb" | tr -c '[:alnum:]' .)"
	else
		note "$1" "no dump.rdb"
	fi
}

COMMANDS='SET greeting hello
GET greeting
APPEND greeting ", world"
STRLEN greeting
GETRANGE greeting 0 4
MSET a 1 b 2 c 3
MGET a b c missing
INCR counter
INCRBY counter 41
DECR counter
INCRBYFLOAT pi 3.14159
SET temp v EX 1000
TTL temp
EXISTS greeting missing
RPUSH list one two three
LPUSH list zero
LRANGE list 0 -1
LPOP list
LLEN list
SADD set x y z x
SCARD set
SISMEMBER set y
SORT set ALPHA
HSET hash f1 v1 f2 v2 f3 v3
HGET hash f2
HLEN hash
HINCRBY hash n 5
ZADD zset 3 c 1 a 2 b
ZRANGE zset 0 -1 WITHSCORES
ZSCORE zset b
DEL a
TYPE list
OBJECT ENCODING counter
GET missing
RENAME b bb
KEYS bb'

# ---- persistence: background saves and the append-only file ----

# persistence: INFO persistence now, without carriage returns.
persistence() {
	timeout -k 1 2 "$CLI" -p "$port" info persistence 2>/dev/null </dev/null | tr -d '\r'
}

# field NAME: one field of INFO persistence now (0 if missing).
field() {
	local v
	v=$(persistence | sed -n "s/^$1://p")
	echo "${v:-0}"
}

# info NAME FIELD...: record those fields of INFO persistence.
info() {
	local name=$1 f out text=""
	shift
	out=$(persistence)
	for f in "$@"; do
		text+=$(grep -E "^$f:" <<<"$out" || echo "$f missing")$'\n'
	done
	note "$name" "${text%$'\n'}"
}

# saved_since N: no background save running, and more than N started
# (rdb_saves, which counts a save when its child is forked).
saved_since() {
	local out
	out=$(persistence)
	grep -qx 'rdb_bgsave_in_progress:0' <<<"$out" &&
		(($(sed -n 's/^rdb_saves://p' <<<"$out") > $1))
}

# autosaved_since N: saved_since N, and no change left unsaved.
autosaved_since() {
	saved_since "$1" && [[ $(field rdb_changes_since_last_save) == 0 ]]
}

# rewritten_since N: no AOF rewrite running or scheduled, and more than N
# done.
rewritten_since() {
	local out
	out=$(persistence)
	grep -qx 'aof_rewrite_in_progress:0' <<<"$out" &&
		grep -qx 'aof_rewrite_scheduled:0' <<<"$out" &&
		(($(sed -n 's/^aof_rewrites://p' <<<"$out") > $1))
}

not_saving() {
	[[ $(field rdb_bgsave_in_progress) == 0 ]]
}

has_child() {
	[[ -n $(srv_children "$pid") ]]
}

# logged NAME ERE: the server's log lines (pids, times and durations
# dropped) that match ERE.
logged() {
	note "$1" "$(sed -e 's/^[0-9]*:[A-Z] [0-9]* [A-Za-z]* [0-9]* [0-9:.]* [#*.-] //' \
		-e 's/^[0-9]*:signal-handler ([0-9]*) //' "$log" |
		sed -e 's/pid [0-9]*/pid N/' -e 's/: [0-9.]* seconds$//' | grep -E "$2")"
}

# child NAME CHILD: what the server's child CHILD (pids) is: one child,
# running the server's program (under hxrun both are hxrun: each process a
# VM in a host process of its own), the one the server says it started.
child() {
	local c ok=yes n
	read -r c <<<"$2"
	n=$(wc -w <<<"$c")
	[[ $n == 1 ]] || ok=no
	[[ $(awk '/^PPid:/ { print $2 }' "/proc/$c/status" 2>/dev/null) == "$pid" ]] || ok=no
	[[ $(readlink "/proc/$c/exe") == "$(readlink "/proc/$pid/exe")" ]] || ok=no
	grep -q "saving started by pid $c\$" "$log" || ok=no
	note "$1" "$n child of the server, running its program, the pid it logged: $ok"
}

# checked NAME FILE: what redis-check-rdb says of an RDB file (offsets
# dropped): valid, and how many keys.
checked() {
	note "$1" "$("$CHECK_RDB" "$2" 2>&1 </dev/null | sed 's/^\[offset [0-9]*\] //' |
		grep -E 'RDB looks OK|keys read|^--- ')"
}

persist() {
	local p=$dir/persist before c
	mkdir -p "$p"
	# 5. appendonly yes and Debian's save points (none falls due here).
	start --dir "$p" --appendonly yes --save '3600 1 300 100 60 10000' \
		--enable-debug-command yes || note start.5 "redis-server did not answer PING"
	rec persist.commands bash -c "exec \"\$1\" -p \"\$2\" <<<\"\$3\"" - "$CLI" "$port" "$COMMANDS"
	cli persist.dbsize dbsize
	expect persist.dbsize '^[1-9][0-9]*$'

	# BGSAVE forks the server; the child (under hxrun a VM of its own)
	# saves. First one held by a delay per key (the child keeps the
	# setting it was forked with): the server's child, then ended as redis
	# ends its own children (SIGUSR1), which is not a failed save.
	before=$(field rdb_saves)
	cli bgsave.delay config set rdb-key-save-delay 2000000
	cli bgsave.held bgsave
	expect bgsave.held '^Background saving started$'
	cli bgsave.nodelay config set rdb-key-save-delay 0
	srv_wait_ready "$pid" "$SAVE_LIMIT" has_child
	c=$(srv_children "$pid")
	child bgsave.child "$c"
	expect bgsave.child '^1 child of the server, running its program, the pid it logged: yes$'
	cli bgsave.busy bgsave
	expect bgsave.busy '^ERR Background save already in progress$'
	# shellcheck disable=SC2086 # no pid, or one
	kill -USR1 $c 2>/dev/null
	srv_wait_ready "$pid" "$SAVE_LIMIT" not_saving
	# shellcheck disable=SC2086
	note bgsave.stopped "child gone: $(srv_gone "$EXIT_LIMIT" $c && echo yes || echo no)"
	logged bgsave.stopped.log 'SIGUSR1|terminated'
	expect bgsave.stopped.log $'^Received SIGUSR1 in child, exiting now.\nBackground saving terminated by signal 10$'
	info bgsave.stopped.info rdb_bgsave_in_progress rdb_last_bgsave_status
	note bgsave.stopped.saves "saves: $(($(field rdb_saves) - before)) more"
	expect bgsave.stopped.saves '^saves: 1 more$'

	# One that runs to the end: dump.rdb has every key (rdb_saves counted
	# the first too).
	cli bgsave bgsave
	expect bgsave '^Background saving started$'
	srv_wait_ready "$pid" "$SAVE_LIMIT" saved_since "$before"
	info bgsave.info rdb_bgsave_in_progress rdb_last_bgsave_status rdb_changes_since_last_save
	expect bgsave.info $'^rdb_bgsave_in_progress:0\nrdb_last_bgsave_status:ok\nrdb_changes_since_last_save:0$'
	note bgsave.saves "saves: $(($(field rdb_saves) - before)) more"
	expect bgsave.saves '^saves: 2 more$'
	checked bgsave.rdb "$p/dump.rdb"
	expect bgsave.rdb "keys read"
	logged bgsave.log 'saving started by|DB saved on disk|saving terminated'
	expect bgsave.log $'^Background saving started by pid N\nBackground saving terminated by signal 10\nBackground saving started by pid N\nDB saved on disk\nBackground saving terminated with success$'

	# BGREWRITEAOF: a child writes the data as a new base file; what is
	# written after goes to a new incr file (redis 7's appendonlydir).
	before=$(field aof_rewrites)
	cli bgrewriteaof bgrewriteaof
	expect bgrewriteaof '^Background append only file rewriting started$'
	srv_wait_ready "$pid" "$SAVE_LIMIT" rewritten_since "$before"
	info bgrewriteaof.info aof_rewrite_in_progress aof_last_bgrewrite_status aof_last_write_status
	expect bgrewriteaof.info $'^aof_rewrite_in_progress:0\naof_last_bgrewrite_status:ok\naof_last_write_status:ok$'
	note aof.manifest "$(cat "$p/appendonlydir/appendonly.aof.manifest" 2>&1)"
	expect aof.manifest $'^file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i$'
	checked aof.base "$p/appendonlydir/appendonly.aof.2.base.rdb"
	cli aof.set set written-after rewrite
	note aof.incr "in the incr file: $(grep -c -a written-after "$p/appendonlydir/appendonly.aof.2.incr.aof" 2>&1)"
	expect aof.incr '^in the incr file: 1$'
	note aof.check "$("$CHECK_AOF" "$p/appendonlydir/appendonly.aof.manifest" 2>&1 </dev/null | tail -n 1)"
	expect aof.check '^All AOF files and manifest are valid$'

	# DEBUG RELOAD: saved, emptied, loaded back.
	dump persist.data
	cli debug.reload debug reload
	expect debug.reload '^OK$'
	dump debug.reloaded
	cmp -s "$res/$who/persist.data" "$res/$who/debug.reloaded"
	note debug.same "same data after DEBUG RELOAD: $?"
	expect debug.same ': 0$'
	kill -TERM "$pid" 2>/dev/null
	stopped persist.sigterm
	expect persist.sigterm.log $'^Received SIGTERM scheduling shutdown...\nUser requested shutdown...\nSaving the final RDB snapshot before exiting.\nDB saved on disk\nRedis is now ready to exit, bye bye...$'
	expect persist.sigterm.status '^exit status 0$'

	# 6. Back from the append-only file, with a save point that falls due
	# a second after a change: it saves by itself, and writes go on.
	start --dir "$p" --appendonly yes --save '1 1' || note start.6 "redis-server did not answer PING"
	logged restart.loaded '^DB loaded from'
	expect restart.loaded 'DB loaded from append only file$'
	dump restart.data
	cmp -s "$res/$who/persist.data" "$res/$who/restart.data"
	note restart.same "same data after restart: $?"
	expect restart.same ': 0$'
	before=$(field rdb_saves)
	cli autosave.set set saved-by-itself yes
	srv_wait_ready "$pid" "$SAVE_LIMIT" autosaved_since "$before"
	info autosave.info rdb_changes_since_last_save rdb_bgsave_in_progress rdb_last_bgsave_status
	expect autosave.info $'^rdb_changes_since_last_save:0\nrdb_bgsave_in_progress:0\nrdb_last_bgsave_status:ok$'
	logged autosave.log 'Saving...|saving started by|saving terminated'
	expect autosave.log $'^1 changes in 1 seconds. Saving...\nBackground saving started by pid N\nBackground saving terminated with success$'
	cli autosave.after set written-after saving
	expect autosave.after '^OK$'
	checked autosave.rdb "$p/dump.rdb"
	cli persist.shutdown shutdown
	stopped persist.shutdown
	expect persist.shutdown.status '^exit status 0$'
	# No write was refused for a failed save.
	note misconf "MISCONF in replies or logs: $(grep -l -r MISCONF "$res/$who" | wc -l) files"
	expect misconf ': 0 files$'
}

# ---- the scenario ----

scenario() {
	mkdir -p "$res/$who"
	# 1. No save points: SAVE writes dump.rdb, SIGTERM does not save.
	start --save '' || note start.1 "redis-server did not answer PING"
	cli ping ping
	rec commands bash -c "exec \"\$1\" -p \"\$2\" <<<\"\$3\"" - "$CLI" "$port" "$COMMANDS"
	seq 1 150000 >"$dir/big.txt" # about 1 MB
	rec big.set bash -c "exec \"\$1\" -p \"\$2\" -x set big <\"\$3\"" - "$CLI" "$port" "$dir/big.txt"
	rm -f "$dir/big.txt"
	cli big.strlen strlen big
	rec big.get bash -c "\"\$1\" -p \"\$2\" get big | sha256sum" - "$CLI" "$port"
	# Rates differ from run to run: what is compared is that both tests
	# ran to the end and reported a rate.
	local out=""
	[[ $(cat "$res/$who/ping") == PONG ]] && out=$(timeout -k 2 30 "$BENCH" -p "$port" -t set,get -n "$N" -c 50 -q 2>&1 </dev/null | tr '\r' '\n')
	note bench "$(grep -E '^(SET|GET): [0-9.]+ requests per second' <<<"$out" | sed 's/:.*//')"
	expect bench $'^SET\nGET$'
	cli bench.value get key:__rand_int__
	cli dbsize dbsize
	dump data
	cli save save
	expect save '^OK$'
	rdb rdb.saved
	expect rdb.saved '^dump.rdb REDIS[0-9]{4}$'
	local saved
	saved=$(sha256sum "$dir/dump.rdb" 2>/dev/null)
	kill -TERM "$pid" 2>/dev/null
	stopped sigterm-nosave
	expect sigterm-nosave.log $'^Received SIGTERM scheduling shutdown...\nUser requested shutdown...\nRedis is now ready to exit, bye bye...$'
	expect sigterm-nosave.status '^exit status 0$'
	[[ $(sha256sum "$dir/dump.rdb" 2>/dev/null) == "$saved" ]]
	note rdb.unchanged "dump.rdb unchanged: $?"

	# 2. A new server loads it all back; with a save point, SIGTERM saves.
	start --save '3600 1' || note start.2 "redis-server did not answer PING"
	dump reloaded
	cmp -s "$res/$who/data" "$res/$who/reloaded"
	note reloaded.same "same data after reload: $?"
	expect reloaded.same ': 0$'
	cli sigterm.set set written-before sigterm
	kill -TERM "$pid" 2>/dev/null
	stopped sigterm-save
	expect sigterm-save.log $'^Received SIGTERM scheduling shutdown...\nUser requested shutdown...\nSaving the final RDB snapshot before exiting.\nDB saved on disk\nRedis is now ready to exit, bye bye...$'
	expect sigterm-save.status '^exit status 0$'
	rdb rdb.sigterm
	[[ $(sha256sum "$dir/dump.rdb" 2>/dev/null) != "$saved" ]]
	note rdb.changed "dump.rdb changed: $?"
	expect rdb.changed ': 0$'

	# 3. SIGINT (Ctrl-C) saves the same way.
	start --save '3600 1' || note start.3 "redis-server did not answer PING"
	cli sigterm.get get written-before
	expect sigterm.get '^sigterm$'
	cli sigint.set set written-before sigint
	kill -INT "$pid" 2>/dev/null
	stopped sigint
	expect sigint.log $'^Received SIGINT scheduling shutdown...\nUser requested shutdown...\nSaving the final RDB snapshot before exiting.\nDB saved on disk\nRedis is now ready to exit, bye bye...$'
	expect sigint.status '^exit status 0$'

	# 4. And it was saved; SHUTDOWN NOSAVE from a client ends the server.
	start --save '' || note start.4 "redis-server did not answer PING"
	cli sigint.get get written-before
	expect sigint.get '^sigint$'
	dump final
	cli shutdown shutdown nosave
	stopped shutdown
	expect shutdown.log $'^User requested shutdown...\nRedis is now ready to exit, bye bye...$'
	expect shutdown.status '^exit status 0$'
	rdb rdb.final

	persist
}

main() {
	if (($# != 1)); then
		echo "usage: $0 HXRUN" >&2
		exit 2
	fi
	srv_set_hxrun "$1"
	local p
	for p in "$REDIS" "$CLI" "$BENCH" "$CHECK_RDB" "$CHECK_AOF" /usr/bin/pgrep; do
		if [[ ! -x $p ]]; then
			echo "${0##*/}: $p missing (apt-get install redis-server)" >&2
			exit 2
		fi
	done
	ulimit -c 0
	res=$(mktemp -d "${TMPDIR:-/tmp}/hx-redis-results.XXXXXX")
	for who in native hxrun; do
		runner=()
		nstart=0
		[[ $who == hxrun ]] && runner=("$HXRUN")
		dir=$(mktemp -d "${TMPDIR:-/tmp}/hx-redis.XXXXXX")
		scenario
		srv_cleanup
		rm -rf "$dir"
	done

	srv_report redis
	if ((failed == 0)); then
		rm -rf "$res"
	else
		echo "server logs and outputs are in $res"
	fi
	echo "$passed passed, $failed failed"
	((failed == 0))
}

main "$@"
