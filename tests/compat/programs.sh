#!/bin/bash
# Compatibility check with real Debian programs from /usr/bin (dynamically
# linked, run with their libraries by ld.so inside the guest): sqlite3,
# lua5.4 and python3, each run natively and under HXRUN with the same
# stdout, stderr and exit status.
#
#   tests/compat/programs.sh HXRUN
#
# Needs the Debian packages sqlite3, lua5.4 and python3.  The scenarios
# and their comparison are files.sh's (sourced): a fresh directory per
# scenario, prepared the same way for the native and the hxrun run, one
# PASS/FAIL per step and output mode.  The sqlite3 scenario runs several
# processes on one database file, so the file must persist in the cwd
# mount between them; "host:" steps run natively in both runs, to read
# back what the step before them wrote.

# The step and setup functions are called by name, through scenario.
# shellcheck disable=SC2317
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=files.sh
source "$here/files.sh"

# Interpreters start slowly under a fresh VM; allow more than a test
# program's 20 s.
TIME_LIMIT=60

SQLITE=/usr/bin/sqlite3
LUA=/usr/bin/lua5.4
PYTHON=/usr/bin/python3

# host-step NAME CMD...: a step that runs natively in both runs.
host_step() {
	local saved=("${sc_runner[@]}")
	sc_runner=()
	step "host:$1" "${@:2}"
	sc_runner=("${saved[@]}")
}

no_setup() {
	:
}

# ---- sqlite3 ----

steps_sqlite() {
	step create "$SQLITE" test.db \
		"create table t(id integer primary key, name text not null, score real);
		 insert into t(name, score) values ('alpha', 1.5), ('beta', 2.25), ('gamma', -3), ('delta', null);
		 create index t_name on t(name);
		 select count(*), sum(score), group_concat(name, '+') from t;"
	step read "$SQLITE" test.db "select id, name, score from t order by name desc; pragma integrity_check;"
	step update "$SQLITE" test.db \
		"begin; update t set score = score * 2 where name = 'beta'; delete from t where id = 3; commit;
		 select * from t;"
	step read-columns "$SQLITE" -header -column test.db "select * from t order by id;"
	step read-csv "$SQLITE" -csv test.db "select name, score from t order by score;"
	step rollback "$SQLITE" test.db \
		"begin; delete from t; rollback; select count(*) from t;"
	step bulk "$SQLITE" test.db \
		"create table n(x integer);
		 with recursive c(x) as (select 1 union all select x + 1 from c where x < 20000)
		 insert into n select x from c;
		 select count(*), sum(x), max(x) from n;"
	step json "$SQLITE" test.db "select json_group_array(name) from (select name from t order by id);"
	step insert "$SQLITE" test.db "insert into t(name, score) values ('last', 9); select count(*) from t;"
	step -s 1 error "$SQLITE" test.db "select * from missing_table;"
	host_step read "$SQLITE" test.db "select name, score from t order by id; pragma integrity_check;"
	step python-reads "$PYTHON" -I -c '
import sqlite3
con = sqlite3.connect("test.db")
print(con.execute("select group_concat(name) from (select name from t order by id)").fetchone())
print(con.execute("select count(*) from n").fetchone())
con.close()'
	step dump "$SQLITE" test.db .dump
	snapshot after-sqlite
}

# WAL mode: sqlite3 maps the -shm file shared and writable.
steps_sqlite_wal() {
	step wal "$SQLITE" host.db \
		"pragma journal_mode=wal; insert into kv values ('wal', 'w'); select count(*) from kv;"
	step read-wal "$SQLITE" host.db "pragma journal_mode; select k from kv order by k;"
	host_step read-wal "$SQLITE" host.db "select k, v from kv order by k;"
	step back-to-delete "$SQLITE" host.db "pragma journal_mode=delete; select count(*) from kv;"
	snapshot after-wal
}

# A database made on the host, read and changed in the guest.
setup_sqlite_host_db() {
	"$SQLITE" "$1/host.db" \
		"create table kv(k text primary key, v text);
		 insert into kv values ('one', '1'), ('two', '2'), ('three', '3');"
}

steps_sqlite_host_db() {
	step read "$SQLITE" host.db "select * from kv order by k;"
	step change "$SQLITE" host.db "update kv set v = v || v; insert into kv values ('four', '4');"
	host_step read-back "$SQLITE" host.db "select * from kv order by k;"
	snapshot after-change
}

# ---- lua5.4 ----

setup_lua() {
	cat >"$1/script.lua" <<'LUA'
-- strings
local s = "The quick brown fox jumps over the lazy dog"
print(#s, s:upper(), s:lower():reverse())
print(s:gsub("o", "0"))
print(s:find("fox"), s:match("(%a+) dog"), s:sub(5, 9))
for w in s:gmatch("%a%a%a%a%a") do io.write(w, ",") end
print()
print(string.format("%5d|%-5s|%.3f|%x|%q", 42, "ab", math.pi, 255, "a\nb"))
print(("ab"):rep(3, "-"), string.byte("A"), string.char(72, 105))
print(string.pack(">I4", 0x01020304):byte(1, -1))

-- tables
local t = {}
for i = 1, 20 do t[#t + 1] = (i * 37) % 23 end
table.sort(t, function(a, b) return a > b end)
print(table.concat(t, " "))
table.insert(t, 1, "first")
print(table.remove(t), #t, t[1])
local words = {}
for w in s:gmatch("%a+") do words[#words + 1] = w:lower() end
table.sort(words)
print(table.concat(words, ","))
local counts = {}
for _, w in ipairs(words) do counts[w] = (counts[w] or 0) + 1 end
local keys = {}
for k in pairs(counts) do keys[#keys + 1] = k end
table.sort(keys)
for _, k in ipairs(keys) do io.write(k, "=", counts[k], " ") end
print()

-- math
print(math.floor(-3.5), math.ceil(-3.5), math.max(3, 9, -1), math.min(3, 9, -1))
print(7 // 2, -7 // 2, 7 % -3, 2 ^ 10, 10 / 4, math.tointeger(5.0))
print(string.format("%.10f", math.sqrt(2)), math.huge, -math.huge)
print(0xff & 0x0f, 0xf0 | 0x0f, 1 << 10, 0xff ~ 0x0f, math.maxinteger)
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print(fib(25))
math.randomseed(42)
print(math.random(1, 1000), math.random(1, 1000), math.random(1, 1000))

-- closures and coroutines
local function counter() local n = 0 return function() n = n + 1 return n end end
local c = counter(); c(); c()
print(c())
local co = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i * i) end end)
print(co(), co(), co())

-- errors
print(pcall(function() error("boom") end))
local ok, e = pcall(function() error({code = 7}) end)
print(ok, type(e), e.code)
print(select("#", pcall(error)))

-- files in the cwd
local f = assert(io.open("out.txt", "w"))
for i = 1, 5 do f:write(i, ":", i * i, "\n") end
f:close()
local total = 0
for line in io.lines("out.txt") do total = total + tonumber(line:match(":(%d+)")) end
print("sum of squares", total)
assert(os.rename("out.txt", "renamed.txt"))
print(io.open("out.txt") == nil, io.open("renamed.txt") ~= nil)
print(os.remove("missing.txt"))
LUA
	cat >"$1/fail.lua" <<'LUA'
print("before")
local t = nil
print(t.field)
LUA
}

steps_lua() {
	step script "$LUA" script.lua
	step version "$LUA" -e 'print(_VERSION)'
	step -s 1 error "$LUA" fail.lua
	step -s 1 missing "$LUA" no-such-script.lua
	snapshot after-lua
}

# ---- python3 ----

setup_python() {
	printf 'line one\nline two\nthird line\n' >"$1/input.txt"
}

steps_python() {
	step json-hashlib-os-re "$PYTHON" -I -c '
import json, hashlib, os, re
data = {"name": "hx", "values": [1, 2.5, None, True], "nested": {"z": 1, "a": [3, 2, 1]}}
text = json.dumps(data, sort_keys=True)
print(text)
print(json.loads(text) == data, json.dumps(data, indent=2, sort_keys=True).count("\n"))
print(hashlib.sha256(text.encode()).hexdigest())
print(hashlib.md5(b"hello world").hexdigest(), hashlib.sha1(b"").hexdigest())
print(re.findall(r"\b\w{4}\b", "this line has some four char words"))
print(re.sub(r"(\d+)", lambda m: str(int(m.group(1)) * 2), "a1 b22 c333"))
print(os.getcwd() == os.path.realpath("."), os.path.basename("/a/b/c.txt"), os.sep)'
	step files "$PYTHON" -I -c '
import hashlib, os
with open("input.txt", "rb") as f:
    raw = f.read()
print(len(raw), hashlib.sha256(raw).hexdigest())
os.mkdir("sub")
with open("sub/out.txt", "w") as f:
    for i in range(100):
        f.write(f"{i} {i * i}\n")
os.rename("sub/out.txt", "sub/renamed.txt")
st = os.stat("sub/renamed.txt")
print(st.st_size, oct(st.st_mode & 0o777))
print(sorted(os.listdir(".")), sorted(os.listdir("sub")))
print([e.name for e in sorted(os.scandir("."), key=lambda e: e.name) if e.is_dir()])
os.symlink("renamed.txt", "sub/link")
print(os.readlink("sub/link"), os.path.islink("sub/link"), open("sub/link").readline().strip())'
	host_step read-back cat sub/renamed.txt
	step text "$PYTHON" -I -c '
import collections, itertools, math, struct, textwrap, datetime
words = "the quick brown fox jumps over the lazy dog the end".split()
print(collections.Counter(words).most_common(2))
print(list(itertools.combinations("abc", 2)), math.factorial(20), math.gcd(84, 36))
print(struct.pack("<IhB", 1, -2, 3).hex(), f"{math.pi:.12f}", 2 ** 100)
print(textwrap.fill("lorem ipsum dolor sit amet " * 3, 30))
print(datetime.date(2024, 2, 29) + datetime.timedelta(days=366))
print(sorted({"b": 2, "a": 1}.items()), "%5.2f|%-4s|%x" % (3.14159, "ab", 255))'
	step -s 1 exception "$PYTHON" -I -c 'print("before"); raise ValueError("boom")'
	step -s 3 exit-status "$PYTHON" -I -c 'import sys; print("bye"); sys.exit(3)'
	snapshot after-python
}

main() {
	if (($# != 1)); then
		echo "usage: $0 HXRUN" >&2
		exit 2
	fi
	set_hxrun "$1"
	local missing=() p
	for p in "$SQLITE:sqlite3" "$LUA:lua5.4" "$PYTHON:python3"; do
		[[ -x ${p%%:*} ]] || missing+=("${p#*:}")
	done
	if ((${#missing[@]} > 0)); then
		echo "${0##*/}: missing programs (apt-get install ${missing[*]})" >&2
		exit 2
	fi
	results=$(mktemp -d "${TMPDIR:-/tmp}/hx-programs-results.XXXXXX")
	scenario programs.sqlite3 no_setup steps_sqlite
	scenario programs.sqlite3-host-db setup_sqlite_host_db steps_sqlite_host_db
	scenario programs.sqlite3-wal setup_sqlite_host_db steps_sqlite_wal
	scenario programs.lua5.4 setup_lua steps_lua
	scenario programs.python3 setup_python steps_python
	if no_failures; then
		rm -rf "$results"
	else
		echo "captured output is in $results"
	fi
	finish
}

main "$@"
