# cmake --install puts the tool and its man page where an admin looks for them.
. "$WR_SOURCE/tests/host/lib.sh"
cmake --install "$WR_BUILD" --prefix "$T/prefix" >/dev/null
check "the tool is installed in sbin" test -x "$T/prefix/sbin/winrescue"
check "the man page winrescue.8 is installed" test -f "$T/prefix/share/man/man8/winrescue.8"
check "the man page renders and documents the exit codes" sh -c \
	"MANWIDTH=80 man -l '$T/prefix/share/man/man8/winrescue.8' 2>/dev/null | tr -s ' ' | grep -q 'Refused for safety'"
check "the installed tool runs" sh -c "'$T/prefix/sbin/winrescue' --version | grep -q '^winrescue '"
finish
