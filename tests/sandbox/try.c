/*
 * weft-sandbox-try: run inside the sandbox (started by weft_sandbox_spawn()
 * exactly as an app process is), it tries what an exploited app would and
 * prints one line per probe: "PROBE ok" or "PROBE fail ERRNO-NAME".
 *
 *   weft-sandbox-try [--out FD] [--seccomp none|runtime|app-shell] [--stderr FD]
 *                    PROBE[=ARG]...
 *
 * --seccomp installs the filter that binary installs itself, first (what
 * the app-shell's says of a call it refuses goes to stderr: --stderr moves
 * it, e.g. onto --out's fd, after the filter is in force). Probes
 * run in order; exec-sh, when it works, replaces the program, so it goes
 * last. The program ends with _exit(): LeakSanitizer's exit check needs
 * ptrace and clone, which the probes forbid.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/io_uring.h>
#include <linux/landlock.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp_policy.h"
#include "weft/common.h"
#include "weft/sandbox-seccomp.h"

static FILE *out;

/* 0 when it worked, else the errno. */
static int result(long rc)
{
	return rc < 0 ? errno : 0;
}

static long parse_pid(const char *arg)
{
	long pid;
	if (arg == NULL || !weft_parse_long(arg, 1, 1 << 30, &pid)) {
		fprintf(stderr, "weft-sandbox-try: bad pid '%s'\n", arg ? arg : "");
		_exit(2);
	}
	return pid;
}

static int probe_read(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return errno;
	}
	char c;
	int rc = result(read(fd, &c, 1));
	close(fd);
	return rc;
}

static int probe_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		return errno;
	}
	int rc = result(write(fd, "x", 1));
	close(fd);
	return rc;
}

static int probe_ls(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		return errno;
	}
	close(fd);
	return 0;
}

static int connect_unix(const char *path, bool abstract)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return errno;
	}
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	if (len + 1 >= sizeof(addr.sun_path)) {
		close(fd);
		return ENAMETOOLONG;
	}
	memcpy(addr.sun_path + (abstract ? 1 : 0), path, len);
	socklen_t size = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
		(abstract ? 1 : 0));
	int rc = result(connect(fd, (struct sockaddr *)&addr, size));
	close(fd);
	return rc;
}

static int connect_inet(const char *arg, int type)
{
	const char *colon = arg ? strrchr(arg, ':') : NULL;
	long port;
	if (colon == NULL || !weft_parse_long(colon + 1, 1, 65535, &port)) {
		fprintf(stderr, "weft-sandbox-try: want HOST:PORT, not '%s'\n", arg ? arg : "");
		_exit(2);
	}
	char host[64];
	snprintf(host, sizeof(host), "%.*s", (int)(colon - arg), arg);
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		fprintf(stderr, "weft-sandbox-try: bad address '%s'\n", host);
		_exit(2);
	}
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return errno;
	}
	int rc = result(connect(fd, (struct sockaddr *)&addr, sizeof(addr)));
	if (rc == 0 && type == SOCK_DGRAM) {
		rc = result(send(fd, "x", 1, 0));
	}
	close(fd);
	return rc;
}

static int probe_io_uring(void)
{
	struct io_uring_params params = { 0 };
	long fd = syscall(SYS_io_uring_setup, 8, &params);
	if (fd >= 0) {
		close((int)fd);
	}
	return result(fd);
}

/* socketpair=unix|inet: a connected pair, as Servo's ipc-channel makes. */
static int probe_socketpair(const char *arg)
{
	int family = arg && strcmp(arg, "inet") == 0 ? AF_INET : AF_UNIX;
	if (!arg || (strcmp(arg, "inet") != 0 && strcmp(arg, "unix") != 0)) {
		fprintf(stderr, "weft-sandbox-try: socketpair=unix|inet, not '%s'\n",
			arg ? arg : "");
		_exit(2);
	}
	int pair[2];
	int rc = result(socketpair(family, SOCK_STREAM | SOCK_CLOEXEC, 0, pair));
	if (rc == 0) {
		close(pair[0]);
		close(pair[1]);
	}
	return rc;
}

static int probe_ptrace(long pid)
{
	long rc = ptrace(PTRACE_ATTACH, (pid_t)pid, NULL, NULL);
	if (rc == 0) {
		ptrace(PTRACE_DETACH, (pid_t)pid, NULL, NULL);
	}
	return result(rc);
}

static int probe_vm_read(long pid)
{
	char buf[8];
	static char there[8];
	struct iovec local = { buf, sizeof(buf) };
	struct iovec remote = { there, sizeof(there) };
	return result(process_vm_readv((pid_t)pid, &local, 1, &remote, 1, 0));
}

static int probe_pidfd_getfd(long pid)
{
	long pidfd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pidfd < 0) {
		return errno;
	}
	long fd = syscall(SYS_pidfd_getfd, (int)pidfd, 0, 0);
	int rc = result(fd);
	if (fd >= 0) {
		close((int)fd);
	}
	close((int)pidfd);
	return rc;
}

static int probe_environ(long pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
	return probe_read(path);
}

static int probe_memfd_rw(const char *arg)
{
	long fd;
	if (arg == NULL || !weft_parse_long(arg, 0, 1 << 20, &fd)) {
		fprintf(stderr, "weft-sandbox-try: bad fd '%s'\n", arg ? arg : "");
		_exit(2);
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%ld", fd);
	int rw = open(path, O_RDWR | O_CLOEXEC);
	if (rw < 0) {
		return errno;
	}
	int rc = result(pwrite(rw, "X", 1, 0));
	close(rw);
	return rc;
}

/* What a client could do to a read-only fd of shared memory it was given
 * (fd 4, a keymap) to write into it: map it shared and writable, write or
 * truncate through it, or chmod it back and reopen it read-write. */
static int probe_shared_fd(const char *name, const char *arg)
{
	long fd;
	if (arg == NULL || !weft_parse_long(arg, 0, 1 << 20, &fd)) {
		fprintf(stderr, "weft-sandbox-try: bad fd '%s'\n", arg ? arg : "");
		_exit(2);
	}
	if (strcmp(name, "mmap-write") == 0) {
		void *p = mmap(NULL, 1, PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
		if (p == MAP_FAILED) {
			return errno;
		}
		munmap(p, 1);
		return 0;
	} else if (strcmp(name, "fd-write") == 0) {
		return result(pwrite((int)fd, "X", 1, 0));
	} else if (strcmp(name, "fd-truncate") == 0) {
		return result(ftruncate((int)fd, 0));
	}
	/* chmod-rw */
	if (fchmod((int)fd, 0600) != 0) {
		return errno;
	}
	return probe_memfd_rw(arg);
}

static int probe_exec_sh(void)
{
	char *argv[] = { "sh", "-c", "echo exec-sh ok", NULL };
	char *envp[] = { NULL };
	fflush(out);
	/* Whatever the shell prints comes out on our stdout, not --out:
	 * a missing line is the escape. */
	execve("/bin/sh", argv, envp);
	return errno;
}

static int probe_tiocsti(const char *arg)
{
	long fd;
	if (arg == NULL || !weft_parse_long(arg, 0, 1 << 20, &fd)) {
		fd = 0;
	}
	char c = '#';
	return result(ioctl((int)fd, TIOCSTI, &c));
}

/* /dev/tty: the controlling terminal, if the process has one. */
static int probe_open_tty(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		return errno;
	}
	close(fd);
	return 0;
}

/* POSIX shared memory: a file in /dev/shm, named as another app would. */
static int probe_shm(const char *name, bool create)
{
	int fd = shm_open(name ? name : "", O_RDWR | (create ? O_CREAT | O_EXCL : 0), 0600);
	if (fd < 0) {
		return errno;
	}
	int rc = create ? result(ftruncate(fd, 4096)) : 0;
	close(fd);
	return rc;
}

static long parse_number(const char *arg)
{
	long n;
	if (arg == NULL || !weft_parse_long(arg, 0, INT32_MAX, &n)) {
		fprintf(stderr, "weft-sandbox-try: bad number '%s'\n", arg ? arg : "");
		_exit(2);
	}
	return n;
}

/* SysV shared memory by key: sysv-create prints the segment's id. */
static int probe_sysv_create(const char *arg)
{
	long key = parse_number(arg);
	int id = shmget((key_t)key, 4096, IPC_CREAT | IPC_EXCL | 0600);
	if (id < 0) {
		return errno;
	}
	fprintf(out, "shmid %ld %d\n", key, id);
	return 0;
}

static int probe_sysv_attach(const char *arg)
{
	void *p = shmat((int)parse_number(arg), NULL, SHM_RDONLY);
	if (p == (void *)-1) {
		return errno;
	}
	shmdt(p);
	return 0;
}

/* Blocks until fd (a pipe from the test) reaches EOF: holds what the probes
 * before made (a shared memory object lives as long as this sandbox). */
static int probe_wait(const char *arg)
{
	fflush(out);
	int fd = (int)parse_number(arg);
	char buf[64];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
	}
	return result(n);
}

static volatile sig_atomic_t got_term;

static void handle_term(int sig)
{
	(void)sig;
	got_term = 1;
}

/*
 * term-late=handler|signalfd,FD: a program that takes its time before it
 * handles SIGTERM. It waits for EOF on FD (the test sends SIGTERM first),
 * then installs a handler and unblocks SIGTERM (handler) or reads it from a
 * signalfd (signalfd, as weft-app-shell does): "ok" when the SIGTERM sent
 * before is there, "fail ESRCH" when it was lost.
 */
static int probe_term_late(const char *arg)
{
	const char *comma = arg ? strchr(arg, ',') : NULL;
	if (comma == NULL) {
		fprintf(stderr, "weft-sandbox-try: term-late=handler|signalfd,FD\n");
		_exit(2);
	}
	bool use_signalfd = strncmp(arg, "signalfd,", 9) == 0;
	fprintf(out, "term-late waiting\n");
	int rc = probe_wait(comma + 1);
	if (rc != 0) {
		return rc;
	}
	sigset_t term;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	if (use_signalfd) {
		if (sigprocmask(SIG_BLOCK, &term, NULL) != 0) {
			return errno;
		}
		int fd = signalfd(-1, &term, SFD_CLOEXEC | SFD_NONBLOCK);
		if (fd < 0) {
			return errno;
		}
		struct signalfd_siginfo info;
		got_term = read(fd, &info, sizeof(info)) == sizeof(info) &&
			info.ssi_signo == SIGTERM;
		close(fd);
	} else {
		struct sigaction sa = { .sa_handler = handle_term };
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGTERM, &sa, NULL) != 0 ||
			sigprocmask(SIG_UNBLOCK, &term, NULL) != 0) {
			return errno;
		}
		/* A pending SIGTERM is delivered as sigprocmask returns. */
	}
	return got_term ? 0 : ESRCH;
}

static int probe_bpf(void)
{
	union bpf_attr attr = {
		.map_type = BPF_MAP_TYPE_ARRAY,
		.key_size = 4,
		.value_size = 4,
		.max_entries = 1,
	};
	long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	if (fd >= 0) {
		close((int)fd);
	}
	return result(fd);
}

static int probe_perf(void)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.disabled = 1,
	};
	long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
	if (fd >= 0) {
		close((int)fd);
	}
	return result(fd);
}

static int probe_userfaultfd(void)
{
	long fd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (fd >= 0) {
		close((int)fd);
	}
	return result(fd);
}

/* Forks until the kernel says no; the children wait to be killed. */
static int probe_forkbomb(int *count)
{
	int rc = 0;
	*count = 0;
	for (int i = 0; i < 4096; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			rc = errno;
			break;
		}
		if (pid == 0) {
			pause();
			_exit(0);
		}
		(*count)++;
	}
	/* pid 1 of the namespace: -1 is everyone else in it. Outside a pid
	 * namespace this would be everyone we may signal, so only inside. */
	if (getpid() == 1) {
		kill(-1, SIGKILL);
	}
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
	}
	return rc;
}

/* Reserves memory (without touching it) until the kernel says no. */
static int probe_membomb(long *mib)
{
	enum { CHUNK = 64 << 20, MAX = 1024 };
	void *chunks[MAX];
	int n = 0, rc = 0;
	for (; n < MAX; n++) {
		chunks[n] = malloc(CHUNK);
		if (chunks[n] == NULL) {
			rc = ENOMEM;
			break;
		}
	}
	*mib = (long)n * (CHUNK >> 20);
	while (n > 0) {
		free(chunks[--n]);
	}
	return rc;
}

/* syscall=NAME: the call with every argument -1, as Flatpak's try-syscall
 * does: the kernel refuses such arguments (EBADF, EINVAL, EFAULT, ESRCH), so
 * EPERM or ENOSYS is a filter's answer. */
static int probe_syscall(const char *name)
{
	int nr = seccomp_syscall_resolve_name(name ? name : "");
	if (nr < 0) {
		fprintf(stderr, "weft-sandbox-try: unknown syscall '%s'\n", name ? name : "");
		_exit(2);
	}
	return result(syscall(nr, -1L, -1L, -1L, -1L, -1L, -1L));
}

static void *thread_main(void *data)
{
	return data;
}

/* A thread, as glibc makes it (clone3, then clone where that is ENOSYS). */
static int probe_thread(void)
{
	pthread_t thread;
	int rc = pthread_create(&thread, NULL, thread_main, NULL);
	if (rc != 0) {
		return rc;
	}
	return pthread_join(thread, NULL);
}

static int probe_fork(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		_exit(0);
	}
	if (pid < 0) {
		return errno;
	}
	return waitpid(pid, NULL, 0) == pid ? 0 : errno;
}

/* A new process in a new user namespace, by clone's flags. */
static int probe_clone_newuser(void)
{
	long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0);
	if (pid == 0) {
		_exit(0);
	}
	if (pid < 0) {
		return errno;
	}
	return waitpid((pid_t)pid, NULL, 0) == pid ? 0 : errno;
}

/* Memory that becomes executable, as a JIT's code does (llvmpipe: RWX). */
static int probe_mmap_exec(void)
{
	size_t size = (size_t)sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
		-1, 0);
	if (p == MAP_FAILED) {
		return errno;
	}
	int rc = result(mprotect(p, size, PROT_READ | PROT_EXEC));
	munmap(p, size);
	return rc;
}

/* Replacing the SIGSYS handler a seccomp filter may rely on. */
static int probe_sigsys_handler(void)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };
	return result(sigaction(SIGSYS, &sa, NULL));
}

static void print_status(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	fprintf(out, "status ok");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		static const char *const keys[] = { "CapEff:", "CapPrm:", "CapBnd:", "CapAmb:",
			"CapInh:", "NoNewPrivs:", "Seccomp:" };
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t len = strlen(keys[i]);
			if (strncmp(line, keys[i], len) == 0) {
				line[strcspn(line, "\n")] = '\0';
				fprintf(out, " %.*s=%s", (int)len - 1, line,
					line + len + strspn(line + len, " \t"));
			}
		}
	}
	if (f != NULL) {
		fclose(f);
	} else {
		fprintf(out, " status-file=%s", strerrorname_np(errno));
	}
	/* The same from syscalls, for where /proc is out of reach. */
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3] = { 0 };
	long rc = syscall(SYS_capget, &hdr, caps);
	fprintf(out, " capget-eff=%s",
		rc == 0 && caps[0].effective == 0 && caps[1].effective == 0 ? "0" : "not-0");
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	fprintf(out, " nnp=%d landlock-abi=%ld pid=%d uid=%u\n",
		prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), abi, getpid(), getuid());
}

/* "env=NAME ok VALUE", or "fail ENOENT" when it is unset. */
static void print_env(const char *spec, const char *name)
{
	const char *value = name != NULL ? getenv(name) : NULL;
	if (value != NULL) {
		fprintf(out, "%s ok %s\n", spec, value);
	} else {
		fprintf(out, "%s fail ENOENT\n", spec);
	}
}

/* "fstype=PATH ok overlay rw": the filesystem PATH is on, and whether its
 * mount is read-only. */
static void print_fstype(const char *spec, const char *path)
{
	struct statfs st;
	if (path == NULL || statfs(path, &st) != 0) {
		const char *name = strerrorname_np(errno);
		fprintf(out, "%s fail %s\n", spec, name ? name : "E?");
		return;
	}
	const char *type = "other";
	if (st.f_type == 0x794c7630) {
		type = "overlay";
	} else if (st.f_type == 0x01021994) {
		type = "tmpfs";
	}
	fprintf(out, "%s ok %s %s\n", spec, type, (st.f_flags & ST_RDONLY) ? "ro" : "rw");
}

static void report(const char *probe, int rc)
{
	if (rc == 0) {
		fprintf(out, "%s ok\n", probe);
	} else {
		const char *name = strerrorname_np(rc);
		fprintf(out, "%s fail %s\n", probe, name ? name : "E?");
	}
	fflush(out);
}

static void run_probe(const char *spec)
{
	char name[64];
	const char *eq = strchr(spec, '=');
	const char *arg = eq ? eq + 1 : NULL;
	snprintf(name, sizeof(name), "%.*s", (int)(eq ? (size_t)(eq - spec) : strlen(spec)), spec);
	int rc;
	if (strcmp(name, "status") == 0) {
		print_status();
		return;
	} else if (strcmp(name, "env") == 0) {
		print_env(spec, arg);
		return;
	} else if (strcmp(name, "fstype") == 0) {
		print_fstype(spec, arg);
		return;
	} else if (strcmp(name, "umount") == 0) {
		rc = result(umount2(arg ? arg : "", MNT_DETACH));
	} else if (strcmp(name, "read") == 0) {
		rc = probe_read(arg ? arg : "");
	} else if (strcmp(name, "write") == 0) {
		rc = probe_write(arg ? arg : "");
	} else if (strcmp(name, "mkdir") == 0) {
		rc = result(mkdir(arg ? arg : "", 0700));
	} else if (strcmp(name, "ls") == 0) {
		rc = probe_ls(arg ? arg : "");
	} else if (strcmp(name, "unix") == 0) {
		rc = connect_unix(arg ? arg : "", false);
	} else if (strcmp(name, "abstract") == 0) {
		rc = connect_unix(arg ? arg : "", true);
	} else if (strcmp(name, "tcp") == 0) {
		rc = connect_inet(arg, SOCK_STREAM);
	} else if (strcmp(name, "udp") == 0) {
		rc = connect_inet(arg, SOCK_DGRAM);
	} else if (strcmp(name, "io-uring") == 0) {
		rc = probe_io_uring();
	} else if (strcmp(name, "socketpair") == 0) {
		rc = probe_socketpair(arg);
	} else if (strcmp(name, "ptrace") == 0) {
		rc = probe_ptrace(parse_pid(arg));
	} else if (strcmp(name, "vm-read") == 0) {
		rc = probe_vm_read(parse_pid(arg));
	} else if (strcmp(name, "pidfd-getfd") == 0) {
		rc = probe_pidfd_getfd(parse_pid(arg));
	} else if (strcmp(name, "kill") == 0) {
		rc = result(kill((pid_t)parse_pid(arg), 0));
	} else if (strcmp(name, "environ") == 0) {
		rc = probe_environ(parse_pid(arg));
	} else if (strcmp(name, "memfd-rw") == 0) {
		rc = probe_memfd_rw(arg);
	} else if (strcmp(name, "mmap-write") == 0 || strcmp(name, "fd-write") == 0 ||
		strcmp(name, "fd-truncate") == 0 || strcmp(name, "chmod-rw") == 0) {
		rc = probe_shared_fd(name, arg);
	} else if (strcmp(name, "unshare-user") == 0) {
		rc = result(unshare(CLONE_NEWUSER));
	} else if (strcmp(name, "unshare-net") == 0) {
		rc = result(unshare(CLONE_NEWNET));
	} else if (strcmp(name, "mount") == 0) {
		rc = result(mount("none", "/tmp", "tmpfs", 0, NULL));
	} else if (strcmp(name, "chroot") == 0) {
		rc = result(chroot("/tmp"));
	} else if (strcmp(name, "exec-sh") == 0) {
		rc = probe_exec_sh();
	} else if (strcmp(name, "tiocsti") == 0) {
		rc = probe_tiocsti(arg);
	} else if (strcmp(name, "open-tty") == 0) {
		rc = probe_open_tty();
	} else if (strcmp(name, "shm-create") == 0) {
		rc = probe_shm(arg, true);
	} else if (strcmp(name, "shm-open") == 0) {
		rc = probe_shm(arg, false);
	} else if (strcmp(name, "sysv-create") == 0) {
		rc = probe_sysv_create(arg);
	} else if (strcmp(name, "sysv-get") == 0) {
		rc = result(shmget((key_t)parse_number(arg), 0, 0));
	} else if (strcmp(name, "sysv-attach") == 0) {
		rc = probe_sysv_attach(arg);
	} else if (strcmp(name, "wait") == 0) {
		rc = probe_wait(arg);
	} else if (strcmp(name, "term-late") == 0) {
		rc = probe_term_late(arg);
	} else if (strcmp(name, "bpf") == 0) {
		rc = probe_bpf();
	} else if (strcmp(name, "perf") == 0) {
		rc = probe_perf();
	} else if (strcmp(name, "userfaultfd") == 0) {
		rc = probe_userfaultfd();
	} else if (strcmp(name, "syscall") == 0) {
		rc = probe_syscall(arg);
	} else if (strcmp(name, "thread") == 0) {
		rc = probe_thread();
	} else if (strcmp(name, "fork") == 0) {
		rc = probe_fork();
	} else if (strcmp(name, "clone-newuser") == 0) {
		rc = probe_clone_newuser();
	} else if (strcmp(name, "clone3") == 0) {
		rc = result(syscall(SYS_clone3, NULL, 0));
	} else if (strcmp(name, "mmap-exec") == 0) {
		rc = probe_mmap_exec();
	} else if (strcmp(name, "personality") == 0) {
		rc = result(personality(READ_IMPLIES_EXEC));
	} else if (strcmp(name, "ioctl-pgrp") == 0) {
		pid_t pgrp;
		rc = result(ioctl(0, TIOCGPGRP, &pgrp));
	} else if (strcmp(name, "sigsys-handler") == 0) {
		rc = probe_sigsys_handler();
	} else if (strcmp(name, "forkbomb") == 0) {
		int count;
		rc = probe_forkbomb(&count);
		fprintf(out, "# forkbomb: %d children\n", count);
	} else if (strcmp(name, "membomb") == 0) {
		long mib;
		rc = probe_membomb(&mib);
		fprintf(out, "# membomb: %ld MiB\n", mib);
	} else {
		fprintf(stderr, "weft-sandbox-try: unknown probe '%s'\n", name);
		_exit(2);
	}
	report(spec, rc);
}

static void install_seccomp(const char *which)
{
	struct weft_error err;
	bool ok = true;
	if (strcmp(which, "runtime") == 0) {
		ok = runtime_seccomp_install(&err);
	} else if (strcmp(which, "app-shell") == 0) {
		ok = weft_sandbox_seccomp_app_shell_install(&err);
	} else if (strcmp(which, "none") != 0) {
		fprintf(stderr, "weft-sandbox-try: --seccomp none|runtime|app-shell, not '%s'\n",
			which);
		_exit(2);
	}
	if (!ok) {
		fprintf(stderr, "weft-sandbox-try: %s\n", err.msg);
		_exit(1);
	}
}

int main(int argc, char **argv)
{
	out = stdout;
	int i = 1;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--help") == 0) {
			printf("usage: weft-sandbox-try [--out FD] [--seccomp "
			       "none|runtime|app-shell] [--stderr FD] "
			       "PROBE[=ARG]...\n");
			return 0;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "weft-sandbox-try: %s needs a value\n", argv[i]);
			return 2;
		}
		long fd;
		if (strcmp(argv[i], "--out") == 0 && weft_parse_long(argv[i + 1], 1, 1024, &fd)) {
			out = fdopen((int)fd, "w");
			if (out == NULL) {
				fprintf(stderr, "weft-sandbox-try: fd %ld: %s\n", fd,
					strerror(errno));
				return 1;
			}
		} else if (strcmp(argv[i], "--seccomp") == 0) {
			install_seccomp(argv[i + 1]);
		} else if (strcmp(argv[i], "--stderr") == 0 &&
			weft_parse_long(argv[i + 1], 0, 1024, &fd)) {
			if (dup2((int)fd, STDERR_FILENO) < 0) {
				fprintf(stderr, "weft-sandbox-try: --stderr %ld: %s\n", fd,
					strerror(errno));
				return 1;
			}
		} else {
			fprintf(stderr, "weft-sandbox-try: bad option %s %s\n", argv[i],
				argv[i + 1]);
			return 2;
		}
	}
	for (; i < argc; i++) {
		run_probe(argv[i]);
	}
	fflush(out);
	_exit(0);
}
