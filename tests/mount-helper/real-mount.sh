#!/bin/bash
# The real mount through weft-mount-helper: dm-verity, EROFS, a tampered
# image refused. Run as root on a machine with device-mapper (the VM lane),
# with an image that `weft-pack build-image` made (IMAGE, IMAGE.verity and
# IMAGE.roothash beside it). The checks of the helper's arguments that need
# no device-mapper are tests/mount-helper/test_args.py.
#
# Usage: tests/mount-helper/real-mount.sh [--helper PATH] [--user NAME] [--store DIR] IMAGE
#
#   --helper PATH  the installed, setuid root helper
#                  (default /usr/libexec/weft-mount-helper)
#   --user NAME    run the helper as this user (default: root); the user's
#                  /run/user/UID is made for the test when missing
#   --store DIR    the image store the helper was built with, where the
#                  test copies the images (default /var/lib/weft/images)
#
# Prints one "ok -" or "not ok -" line per check. Exit status: 0 passed, 1
# failed, 77 skipped (with the reason: not root, no /dev/mapper/control, no
# dm-verity or EROFS in the kernel).
set -u

helper=/usr/libexec/weft-mount-helper
user=
store=/var/lib/weft/images
while [ $# -gt 1 ]; do
	case "$1" in
	--helper) helper=$2; shift 2 ;;
	--user) user=$2; shift 2 ;;
	--store) store=$2; shift 2 ;;
	*) break ;;
	esac
done
case "${1-}" in
"" | -h | --help)
	sed -n '2,/^set -u/s/^# \{0,1\}//p' "$0" | sed '$d'
	[ -n "${1-}" ]
	exit $?
	;;
esac
image=$1

skip() {
	echo "SKIP: real-mount: $*"
	exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root (to put images into the system store $store)"
[ -e /dev/mapper/control ] || skip "no /dev/mapper/control (no device-mapper)"
modprobe -q dm_verity 2>/dev/null
modprobe -q erofs 2>/dev/null
modprobe -q loop 2>/dev/null
if [ ! -d /sys/module/dm_verity ] && ! { command -v dmsetup >/dev/null && dmsetup targets | grep -q '^verity'; }; then
	skip "no dm_verity in this kernel (modprobe dm_verity failed)"
fi
grep -qw erofs /proc/filesystems || skip "no EROFS in this kernel (modprobe erofs failed)"
[ -x "$helper" ] || { echo "not ok - $helper is not installed"; exit 1; }
for f in "$image" "$image.verity" "$image.roothash"; do
	[ -f "$f" ] || { echo "not ok - $f missing (weft-pack build-image makes it)"; exit 1; }
done
[ -u "$helper" ] && [ "$(stat -c %u "$helper")" = 0 ] ||
	echo "# note: $helper is not setuid root; only root can use it"

failed=0
ok() { echo "ok - $*"; }
fail() {
	echo "not ok - $*"
	failed=1
}

uid=0
gid=0
if [ -n "$user" ]; then
	uid=$(id -u "$user") && gid=$(id -g "$user") || exit 1
fi
as_caller() {
	if [ "$uid" = 0 ]; then
		env -i "$@"
	else
		env -i setpriv --reuid="$uid" --regid="$gid" --init-groups -- "$@"
	fi
}
runtime=/run/user/$uid
made_runtime=
if [ ! -d "$runtime" ]; then
	mkdir -m 0700 "$runtime" && chown "$uid:$gid" "$runtime" && made_runtime=1
fi

# The images, in the store under two ids: one good, one tampered with.
good=$store/org.weft.realmount.good.erofs
bad=$store/org.weft.realmount.tampered.erofs
mkdir -p -m 0755 "$store"
cleanup() {
	[ -n "${mnt-}" ] && mountpoint -q "$mnt" && as_caller "$helper" unmount "$mnt" >/dev/null 2>&1
	rm -f "$good" "$good.verity" "$bad" "$bad.verity"
	[ -n "$made_runtime" ] && rm -rf "$runtime"
}
trap cleanup EXIT
install -m 0644 -o root -g root "$image" "$good"
install -m 0644 -o root -g root "$image.verity" "$good.verity"
hash=$(tr -d '\n' <"$image.roothash")
prefix=${hash:0:16}
dm=weft-$uid-org.weft.realmount.good-$prefix

# Mount.
t0=$(date +%s%N)
if mnt=$(as_caller "$helper" mount "$good" "$hash" 2>/tmp/real-mount.err); then
	t1=$(date +%s%N)
	ok "mount printed $mnt ($(((t1 - t0) / 1000000)) ms)"
else
	fail "mount: $(cat /tmp/real-mount.err)"
	exit 1
fi
[ "$mnt" = "$runtime/weft/images/org.weft.realmount.good-$prefix" ] &&
	ok "the mount point is under the caller's runtime dir" ||
	fail "unexpected mount point $mnt"
[ "$(stat -c '%u %a' "$runtime/weft/images")" = "0 755" ] &&
	ok "images/ is root's, 0755" || fail "images/: $(stat -c '%u %a' "$runtime/weft/images")"
opts=$(findmnt -n -o FSTYPE,OPTIONS --mountpoint "$mnt")
case "$opts" in
erofs*) ok "an EROFS mount" ;;
*) fail "not EROFS: $opts" ;;
esac
for o in ro nosuid nodev noexec; do
	echo ",${opts##* }," | grep -q ",$o," && ok "mounted $o" || fail "not $o: $opts"
done
src=$(findmnt -n -o SOURCE --mountpoint "$mnt")
[ "$(stat -L -c %t:%T "$src")" = "$(stat -L -c %t:%T "/dev/mapper/$dm")" ] &&
	ok "from /dev/mapper/$dm" || fail "source $src, not /dev/mapper/$dm"
[ "$(dmsetup table "$dm" 2>/dev/null | awk '{print $3}')" = verity ] &&
	ok "$dm is a verity target" || fail "$dm is not a verity target"
[ -f "$mnt/wapp.toml" ] && as_caller cat "$mnt/wapp.toml" >/dev/null &&
	ok "the package is readable by the caller" || fail "no readable wapp.toml in $mnt"
if as_caller sh -c "echo x > '$mnt/new'" 2>/dev/null; then
	fail "wrote into the mount"
else
	ok "read-only"
fi

# A second mount of the same image: the same mount point.
again=$(as_caller "$helper" mount "$good" "$hash" 2>&1)
[ "$again" = "$mnt" ] && ok "mount again prints the same path" || fail "mount again: $again"

# The kernel checks each block read: a block of the store's file changed
# under the mount (by root) cannot be read through the device any more.
cp "$good" /tmp/real-mount.orig
size=$(stat -c %s "$good")
printf '\377' | dd of="$good" bs=1 seek=$((size / 2)) conv=notrunc status=none
sync
echo 3 >/proc/sys/vm/drop_caches
if dd if="/dev/mapper/$dm" of=/dev/null bs=4096 status=none 2>/dev/null; then
	fail "read the whole device after its image was changed"
else
	ok "a block changed under the mount cannot be read (dm-verity)"
fi
cat /tmp/real-mount.orig >"$good"
rm -f /tmp/real-mount.orig
sync
echo 3 >/proc/sys/vm/drop_caches

# Unmount: the mount, the device and the directory go.
if out=$(as_caller "$helper" unmount "$mnt" 2>&1); then
	ok "unmount"
else
	fail "unmount: $out"
fi
mountpoint -q "$mnt" 2>/dev/null && fail "still mounted" || ok "no mount left"
[ -e "$mnt" ] && fail "$mnt left" || ok "the mount point is gone"
for _ in $(seq 50); do
	[ -e "/dev/mapper/$dm" ] || break
	sleep 0.1
done
[ -e "/dev/mapper/$dm" ] && fail "/dev/mapper/$dm left" || ok "the device is gone"
out=$(as_caller "$helper" unmount "$mnt" 2>&1) &&
	fail "a second unmount succeeded" ||
	{ [ "$out" = "weft-mount-helper: $mnt: not a mount point made by weft-mount-helper" ] &&
		ok "a second unmount is refused" || fail "second unmount: $out"; }

# A tampered image and a wrong root hash are refused, and leave nothing.
install -m 0644 -o root -g root "$image" "$bad"
install -m 0644 -o root -g root "$image.verity" "$bad.verity"
size=$(stat -c %s "$bad")
printf '\377' | dd of="$bad" bs=1 seek=$((size / 2)) conv=notrunc status=none
out=$(as_caller "$helper" mount "$bad" "$hash" 2>&1) && fail "mounted a tampered image at $out" ||
	{ [ "$out" = "weft-mount-helper: $bad: does not match its root hash (tampered, or the wrong hash)" ] &&
		ok "a tampered image is refused" || fail "tampered image: $out"; }
wrong=${hash:0:63}$([ "${hash:63}" = 0 ] && echo 1 || echo 0)
out=$(as_caller "$helper" mount "$good" "$wrong" 2>&1) && fail "mounted with a wrong root hash" ||
	{ [ "$out" = "weft-mount-helper: $good: does not match its root hash (tampered, or the wrong hash)" ] &&
		ok "a wrong root hash is refused" || fail "wrong hash: $out"; }
left=$(ls /dev/mapper | grep "^weft-$uid-org.weft.realmount" || true)
[ -z "$left" ] && ok "no device left" || fail "devices left: $left"
left=$(ls "$runtime/weft/images" 2>/dev/null || true)
[ -z "$left" ] && ok "no mount point left" || fail "left in images/: $left"

# Another user's mount cannot be unmounted by this one, nor root's by a user.
if [ "$uid" != 0 ]; then
	made_root_runtime=
	if [ ! -d /run/user/0 ]; then
		mkdir -m 0700 /run/user/0 && made_root_runtime=1
	fi
	rootmnt=$(env -i "$helper" mount "$good" "$hash" 2>&1) && {
		out=$(as_caller "$helper" unmount "$rootmnt" 2>&1) &&
			fail "user $uid unmounted root's $rootmnt" ||
			ok "a user cannot unmount root's mount"
		env -i "$helper" unmount "$rootmnt" >/dev/null 2>&1
	} || fail "root's mount: $rootmnt"
	[ -n "$made_root_runtime" ] && rm -rf /run/user/0
fi

exit $failed
