// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fsops.c - run a script of file system operations in a directory and
 * print the result of each, so that the same script run on a plain
 * directory and through hk-fs-server can be compared line by line
 *
 * Usage: fsops DIR < SCRIPT
 *
 * One operation a line; '#' starts a comment.  Paths are relative to DIR.
 * A token "%N" inside an argument expands to N 'x' characters (for name
 * and path length limits).  "as UID GID OP ..." runs OP in a child process
 * with those ids and no supplementary groups; "GID,GROUP,..." gives it
 * those supplementary groups.  Each line prints
 * "LINE OP: ok [details]" or "LINE OP: ERRNO_NAME".  Nothing printed
 * depends on inode numbers or on times the script did not set.  "proc K
 * UID GID" starts a process that keeps running; "@K OP ..." runs OP in
 * it (see the "fd..." operations, which keep descriptors open in slots).
 * "tree DIR" prints every entry under DIR with its content checksum, its
 * user.* xattrs and its ACLs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#define MAXARGS	8
#define BIG	8192

/*
 * POSIX ACLs in their xattr form (system.posix_acl_access and _default):
 * a version word, then entries of tag, permissions and id, little-endian.
 * Written here as "u::6,u:1000:4,g::4,g:5:4,m::4,o::0".
 */
#define ACL_VERSION	2
#define ACL_NOID	0xffffffffu

static const struct { char c; int named; unsigned int tag; } acl_tags[] = {
	{ 'u', 0, 0x01 }, { 'u', 1, 0x02 }, { 'g', 0, 0x04 }, { 'g', 1, 0x08 },
	{ 'm', 0, 0x10 }, { 'o', 0, 0x20 },
};

static const char *acl_name(const char *which)
{
	return !strcmp(which, "default") ? "system.posix_acl_default" : "system.posix_acl_access";
}

static void put_le(unsigned char *p, unsigned long v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static unsigned long get_le(const unsigned char *p, int n)
{
	unsigned long v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static long acl_encode(const char *spec, char *out, size_t size)
{
	unsigned char *o = (unsigned char *)out;
	size_t len = 4;
	char copy[512], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", spec);
	put_le(o, ACL_VERSION, 4);
	for (char *e = strtok_r(copy, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
		char *id = strchr(e, ':'), *perm = id ? strchr(id + 1, ':') : NULL;
		int named = id && perm && perm > id + 1;
		size_t k;

		if (!perm || len + 8 > size)
			return -1;
		for (k = 0; k < sizeof(acl_tags) / sizeof(acl_tags[0]); k++) {
			if (acl_tags[k].c == e[0] && acl_tags[k].named == named)
				break;
		}
		if (k == sizeof(acl_tags) / sizeof(acl_tags[0]))
			return -1;
		put_le(o + len, acl_tags[k].tag, 2);
		put_le(o + len + 2, strtoul(perm + 1, NULL, 8), 2);
		put_le(o + len + 4, named ? strtoul(id + 1, NULL, 10) : ACL_NOID, 4);
		len += 8;
	}
	return (long)len;
}

static void acl_decode(const char *in, size_t n, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t used = 0;

	used += (size_t)snprintf(out, outlen, "v%lu", n >= 4 ? get_le(p, 4) : 0);
	for (size_t i = 4; i + 8 <= n && used < outlen; i += 8) {
		unsigned int tag = (unsigned int)get_le(p + i, 2);
		unsigned long id = get_le(p + i + 4, 4);
		char c = '?';

		for (size_t k = 0; k < sizeof(acl_tags) / sizeof(acl_tags[0]); k++) {
			if (acl_tags[k].tag == tag)
				c = acl_tags[k].c;
		}
		if (id == ACL_NOID)
			used += (size_t)snprintf(out + used, outlen - used, " %c::%lo", c,
						 get_le(p + i + 2, 2));
		else
			used += (size_t)snprintf(out + used, outlen - used, " %c:%lu:%lo", c, id,
						 get_le(p + i + 2, 2));
	}
}

static const char *errname(int e)
{
	switch (e) {
#define E(x) case x: return #x
	E(EPERM); E(ENOENT); E(EIO); E(EBADF); E(EACCES); E(EEXIST);
	E(EXDEV); E(ENOTDIR); E(EISDIR); E(EINVAL); E(EFBIG); E(ENOSPC);
	E(EROFS); E(EMLINK); E(ENAMETOOLONG); E(ENOTEMPTY); E(ELOOP);
	E(ENODATA); E(EOPNOTSUPP); E(ENOTTY); E(ETXTBSY); E(ERANGE);
	E(EBUSY); E(ENXIO); E(ENOSYS); E(EAGAIN); E(EINTR);
#undef E
	}
	return "E?";
}

static int parse_flags(const char *s)
{
	static const struct { const char *n; int f; } names[] = {
		{ "rdonly", O_RDONLY }, { "wronly", O_WRONLY }, { "rdwr", O_RDWR },
		{ "creat", O_CREAT }, { "excl", O_EXCL }, { "trunc", O_TRUNC },
		{ "append", O_APPEND }, { "nofollow", O_NOFOLLOW },
		{ "directory", O_DIRECTORY }, { "direct", O_DIRECT },
		{ "path", O_PATH }, { "noatime", O_NOATIME },
	};
	char *copy = strdup(s), *save = NULL;
	int flags = 0;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (!strcmp(t, names[i].n))
				flags |= names[i].f;
		}
	}
	free(copy);
	return flags;
}

/* Expand "%N" to N 'x's; returns a static buffer per argument slot. */
static char *expand(const char *in, int slot)
{
	static char buf[MAXARGS][BIG];
	char *o = buf[slot], *end = buf[slot] + BIG - 1;

	while (*in && o < end) {
		if (*in == '%' && in[1] >= '0' && in[1] <= '9') {
			long n = strtol(in + 1, (char **)&in, 10);

			while (n-- > 0 && o < end)
				*o++ = 'x';
			continue;
		}
		*o++ = *in++;
	}
	*o = '\0';
	return buf[slot];
}

static char type_char(mode_t m)
{
	return S_ISREG(m) ? 'f' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' :
	       S_ISFIFO(m) ? 'p' : S_ISCHR(m) ? 'c' : S_ISBLK(m) ? 'b' :
	       S_ISSOCK(m) ? 's' : '?';
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An octal mode argument. */
static mode_t mode_arg(const char *s)
{
	return (mode_t)strtol(s, NULL, 8);
}

/* PATH FLAGS [MODE] at @a: open(2) them; a descriptor or -1 (errno). */
static int open_args(int argc, char **a)
{
	return open(a[0], parse_flags(a[1]), argc > 2 ? mode_arg(a[2]) : 0644);
}

/* Descriptor slots of this process, for the "fd..." operations. */
#define NSLOTS	16
static int slots[NSLOTS] = { -1, -1, -1, -1, -1, -1, -1, -1,
			     -1, -1, -1, -1, -1, -1, -1, -1 };

static void print_stat(const struct stat *st, char *out, size_t outlen)
{
	snprintf(out, outlen, "%c %04o nlink %lu uid %u gid %u size %lld",
		 type_char(st->st_mode), st->st_mode & 07777,
		 (unsigned long)st->st_nlink, st->st_uid, st->st_gid,
		 S_ISDIR(st->st_mode) ? 0LL : (long long)st->st_size);
}

static unsigned long checksum(const char *p, ssize_t n)
{
	unsigned long sum = 0;

	for (ssize_t i = 0; i < n; i++)
		sum = sum * 31 + (unsigned char)p[i];
	return sum;
}

/*
 * fdopen S PATH FLAGS [MODE] | fdclose S | fdread S OFF|- LEN |
 * fdwrite S OFF|- DATA | fdtrunc S LEN | fdstat S | fdsync S |
 * fdchmod S MODE | fdlock S r|w|u START LEN | fdgetlk S r|w START LEN |
 * fdflock S sh|ex|un [wait] | fdmmap S OFF DATA (DATA written through a
 * shared mapping of the file, then msync): operations on a descriptor kept open in slot
 * S of this process, so that one process can keep using a file that
 * others rename, unlink, chmod or lock.  A flock does not wait for a
 * conflicting lock unless told to, and then 5 s at most (EINTR).
 */
static int run_fd(int argc, char **a, char *out, size_t outlen)
{
	const char *op = a[0] + 2;
	struct stat st;
	int s, *fd;
	ssize_t n;

	if (argc < 2 || (s = atoi(a[1])) < 0 || s >= NSLOTS)
		return EINVAL;
	fd = &slots[s];
	if (!strcmp(op, "open")) {
		if (argc < 4)
			return EINVAL;
		if (*fd >= 0)
			close(*fd);
		*fd = open_args(argc - 2, a + 2);
		return *fd < 0 ? errno : 0;
	}
	if (*fd < 0)
		return EBADF;
	if (!strcmp(op, "close")) {
		int e = close(*fd) ? errno : 0;

		*fd = -1;
		return e;
	}
	if (!strcmp(op, "read") && argc > 3) {
		char buf[BIG];
		size_t len = (size_t)atol(a[3]) < sizeof(buf) ? (size_t)atol(a[3]) : sizeof(buf);

		n = a[2][0] == '-' ? read(*fd, buf, len) : pread(*fd, buf, len, atol(a[2]));
		if (n < 0)
			return errno;
		snprintf(out, outlen, "%zd sum %lx", n, checksum(buf, n));
		return 0;
	}
	if (!strcmp(op, "write") && argc > 3) {
		n = a[2][0] == '-' ? write(*fd, a[3], strlen(a[3])) :
				     pwrite(*fd, a[3], strlen(a[3]), atol(a[2]));
		if (n < 0)
			return errno;
		snprintf(out, outlen, "%zd", n);
		return 0;
	}
	if (!strcmp(op, "trunc") && argc > 2)
		return ftruncate(*fd, atol(a[2])) ? errno : 0;
	if (!strcmp(op, "stat")) {
		if (fstat(*fd, &st))
			return errno;
		print_stat(&st, out, outlen);
		return 0;
	}
	if (!strcmp(op, "mmap") && argc > 3) {
		long page = sysconf(_SC_PAGESIZE), off = atol(a[2]);
		size_t len = strlen(a[3]), skew = (size_t)(off % page);
		char *m = mmap(NULL, skew + len, PROT_READ | PROT_WRITE, MAP_SHARED,
			       *fd, off - (long)skew);
		int e = 0;

		if (m == MAP_FAILED)
			return errno;
		memcpy(m + skew, a[3], len);
		if (msync(m, skew + len, MS_SYNC))
			e = errno;
		munmap(m, skew + len);
		return e;
	}
	if (!strcmp(op, "sync"))
		return fsync(*fd) ? errno : 0;
	if (!strcmp(op, "chmod") && argc > 2)
		return fchmod(*fd, mode_arg(a[2])) ? errno : 0;
	if ((!strcmp(op, "lock") || !strcmp(op, "getlk")) && argc > 4) {
		struct flock fl = {
			.l_type = a[2][0] == 'r' ? F_RDLCK : a[2][0] == 'w' ? F_WRLCK : F_UNLCK,
			.l_whence = SEEK_SET,
			.l_start = atol(a[3]),
			.l_len = atol(a[4]),
		};

		if (fcntl(*fd, op[0] == 'l' ? F_SETLK : F_GETLK, &fl))
			return errno;
		if (op[0] == 'g')
			snprintf(out, outlen, "%s %lld %lld",
				 fl.l_type == F_UNLCK ? "unlocked" :
				 fl.l_type == F_RDLCK ? "read" : "write",
				 (long long)fl.l_start, (long long)fl.l_len);
		return 0;
	}
	if (!strcmp(op, "flock") && argc > 2) {
		int how = a[2][0] == 'u' ? LOCK_UN : a[2][0] == 's' ? LOCK_SH : LOCK_EX;
		int e;

		if (argc < 4 || strcmp(a[3], "wait"))
			return flock(*fd, how | LOCK_NB) ? errno : 0;
		alarm(5);	/* EINTR, not a hang, where it is never granted */
		e = flock(*fd, how) ? errno : 0;
		alarm(0);
		return e;
	}
	return ENOSYS;
}

/* Print every entry under @dir, sorted, one line each, then a count. */
static int tree_walk(const char *dir, unsigned long *count)
{
	struct dirent **names;
	int k = scandir(dir, &names, NULL, alphasort);

	if (k < 0)
		return errno;
	for (int i = 0; i < k; i++) {
		char path[BIG], buf[BIG], xl[1024];
		const char *nm = names[i]->d_name;
		struct stat st;
		ssize_t n, xn;

		if (!strcmp(nm, ".") || !strcmp(nm, "..")) {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, nm);
		free(names[i]);
		(*count)++;
		if (lstat(path, &st)) {
			printf("  %s: %s\n", path, errname(errno));
			continue;
		}
		print_stat(&st, buf, sizeof(buf));
		printf("  %s: %s", path, buf);
		if (S_ISLNK(st.st_mode) && (n = readlink(path, buf, sizeof(buf) - 1)) >= 0)
			printf(" -> '%.*s'", (int)n, buf);
		if (S_ISREG(st.st_mode)) {
			int fd = open(path, O_RDONLY | O_NOFOLLOW);
			unsigned long sum = 0;

			while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
				sum = sum * 1000003 + checksum(buf, n);
			printf(" sum %lx", sum);
			if (fd >= 0)
				close(fd);
		}
		xn = llistxattr(path, xl, sizeof(xl));
		for (char *p = xl; xn > 0 && p < xl + xn; p += strlen(p) + 1) {
			if (!strncmp(p, "system.posix_acl_", 17)) {
				char acl[BIG];

				/* ACLs decoded: their order on disk is the kernel's */
				n = lgetxattr(path, p, buf, sizeof(buf));
				acl_decode(buf, (size_t)(n > 0 ? n : 0), acl, sizeof(acl));
				printf(" %s=%s", p + 17, acl);
			}
			if (strncmp(p, "user.", 5))
				continue;
			n = lgetxattr(path, p, buf, sizeof(buf) - 1);
			printf(" %s='%.*s'", p, (int)(n > 0 ? n : 0), buf);
		}
		putchar('\n');
		if (S_ISDIR(st.st_mode))
			tree_walk(path, count);
	}
	free(names);
	return 0;
}

static int tree(const char *dir, char *out, size_t outlen)
{
	unsigned long count = 0;
	int e = tree_walk(dir, &count);

	snprintf(out, outlen, "%lu entries", count);
	return e;
}

/*
 * churn DIR N: N files, then a listing in small getdents64 calls, and
 * halfway through it a third of the files are removed and N/2 others
 * made.  POSIX lets the files removed or made during the listing appear
 * or not; every other one must appear exactly once, which needs offsets
 * that stay valid while the directory changes.
 */
#define CHURN_MAX	1000

static int churn_name(const char *name)
{
	int i;

	return sscanf(name, "c%4d", &i) == 1 && strlen(name) == 5 && i >= 0 && i < CHURN_MAX ? i : -1;
}

/* Read one small batch of entries; count the c-files; 0 at the end. */
static long churn_read(int fd, unsigned char *seen)
{
	char buf[512];
	long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));

	for (long off = 0; off < n;) {
		struct dirent64 *e = (struct dirent64 *)(buf + off);
		int i = churn_name(e->d_name);

		if (i >= 0 && seen[i] < 255)
			seen[i]++;
		off += e->d_reclen;
	}
	return n;
}

static int churn(const char *dir, int n, char *out, size_t outlen)
{
	unsigned char seen[CHURN_MAX] = { 0 };
	char path[PATH_MAX];
	int fd, missing = 0, twice = 0, kept = 0, batches = 0;
	long r;

	if (n < 6 || n > CHURN_MAX)
		return EINVAL;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/c%04d", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			return errno;
		close(fd);
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return errno;
	while ((r = churn_read(fd, seen)) > 0 && ++batches < 4)
		;
	for (int i = 0; i < n; i += 3) {
		snprintf(path, sizeof(path), "%s/c%04d", dir, i);
		unlink(path);
	}
	for (int i = 0; i < n / 2; i++) {
		snprintf(path, sizeof(path), "%s/n%04d", dir, i);
		close(open(path, O_WRONLY | O_CREAT, 0644));
	}
	while (r > 0)
		r = churn_read(fd, seen);
	close(fd);
	for (int i = 0; i < n; i++) {
		if (i % 3 == 0)
			continue;
		kept++;
		missing += !seen[i];
		twice += seen[i] > 1;
		snprintf(path, sizeof(path), "%s/c%04d", dir, i);
		unlink(path);
	}
	for (int i = 0; i < n / 2; i++) {
		snprintf(path, sizeof(path), "%s/n%04d", dir, i);
		unlink(path);
	}
	snprintf(out, outlen, "%d kept: %d missing, %d twice%s", kept, missing, twice,
		 r < 0 ? ", listing failed" : "");
	return 0;
}

/* Run one operation; print its details into @out; 0 or an errno. */
static int run(int argc, char **a, char *out, size_t outlen)
{
	const char *op = a[0];
	char buf[BIG];
	struct stat st;
	ssize_t n;
	int fd, e;

	out[0] = '\0';
#define NEED(k) do { if (argc < (k) + 1) return EINVAL; } while (0)
	if (!strcmp(op, "write") || !strcmp(op, "append")) {
		NEED(2);
		fd = open(a[1], O_WRONLY | O_CREAT |
			  (op[0] == 'w' ? O_TRUNC : O_APPEND), 0644);
		if (fd < 0)
			return errno;
		n = write(fd, a[2], strlen(a[2]));
		e = n < 0 ? errno : 0;
		if (close(fd) && !e)
			e = errno;
		return e;
	}
	if (!strcmp(op, "read")) {
		NEED(1);
		fd = open(a[1], O_RDONLY);
		if (fd < 0)
			return errno;
		n = read(fd, buf, sizeof(buf) - 1);
		e = n < 0 ? errno : 0;
		close(fd);
		if (!e) {
			for (ssize_t i = 0; i < n; i++) {
				if (buf[i] < 0x20 || buf[i] > 0x7e)
					buf[i] = '.';
			}
			buf[n] = '\0';
			snprintf(out, outlen, "%zd '%.4000s'", n, buf);
		}
		return e;
	}
	if (!strcmp(op, "pread")) {	/* pread PATH OFF LEN */
		NEED(3);
		fd = open(a[1], O_RDONLY);
		if (fd < 0)
			return errno;
		n = pread(fd, buf, (size_t)atol(a[3]) < sizeof(buf) ?
				   (size_t)atol(a[3]) : sizeof(buf), atol(a[2]));
		e = n < 0 ? errno : 0;
		close(fd);
		if (!e)
			snprintf(out, outlen, "%zd sum %lx", n, checksum(buf, n));
		return e;
	}
	if (!strcmp(op, "pwrite")) {	/* pwrite PATH OFF DATA */
		NEED(3);
		fd = open(a[1], O_WRONLY);
		if (fd < 0)
			return errno;
		n = pwrite(fd, a[3], strlen(a[3]), atol(a[2]));
		e = n < 0 ? errno : 0;
		close(fd);
		return e;
	}
	if (!strcmp(op, "dwrite") || !strcmp(op, "dread")) {	/* PATH OFF: O_DIRECT, 4 KiB */
		void *al;

		NEED(2);
		if (posix_memalign(&al, 4096, 4096))
			return ENOMEM;
		memset(al, 'a' + atoi(a[2]) / 4096 % 26, 4096);
		fd = open(a[1], (op[1] == 'w' ? O_WRONLY | O_CREAT : O_RDONLY) | O_DIRECT, 0644);
		if (fd < 0) {
			e = errno;
		} else {
			n = op[1] == 'w' ? pwrite(fd, al, 4096, atol(a[2])) :
					   pread(fd, al, 4096, atol(a[2]));
			e = n < 0 ? errno : 0;
			if (!e)
				snprintf(out, outlen, "%zd first %02x", n,
					 n > 0 ? ((unsigned char *)al)[0] : 0);
			close(fd);
		}
		free(al);
		return e;
	}
	if (!strcmp(op, "open")) {	/* open PATH FLAGS [MODE] */
		NEED(2);
		fd = open_args(argc - 1, a + 1);
		if (fd < 0)
			return errno;
		close(fd);
		return 0;
	}
	if (!strcmp(op, "mkdir")) {
		NEED(2);
		return mkdir(a[1], mode_arg(a[2])) ? errno : 0;
	}
	if (!strcmp(op, "rmdir")) {
		NEED(1);
		return rmdir(a[1]) ? errno : 0;
	}
	if (!strcmp(op, "unlink")) {
		NEED(1);
		return unlink(a[1]) ? errno : 0;
	}
	if (!strcmp(op, "rename")) {	/* rename A B [noreplace|exchange] */
		unsigned int flags = 0;

		NEED(2);
		if (argc > 3)
			flags = !strcmp(a[3], "exchange") ? RENAME_EXCHANGE :
				!strcmp(a[3], "noreplace") ? RENAME_NOREPLACE : 0;
		return renameat2(AT_FDCWD, a[1], AT_FDCWD, a[2], flags) ? errno : 0;
	}
	if (!strcmp(op, "link")) {
		NEED(2);
		return link(a[1], a[2]) ? errno : 0;
	}
	if (!strcmp(op, "symlink")) {
		NEED(2);
		return symlink(a[1], a[2]) ? errno : 0;
	}
	if (!strcmp(op, "readlink")) {
		NEED(1);
		n = readlink(a[1], buf, sizeof(buf) - 1);
		if (n < 0)
			return errno;
		buf[n] = '\0';
		snprintf(out, outlen, "'%.4000s'", buf);
		return 0;
	}
	if (!strcmp(op, "mkfifo")) {
		NEED(2);
		return mkfifo(a[1], mode_arg(a[2])) ? errno : 0;
	}
	if (!strcmp(op, "chmod")) {
		NEED(2);
		return chmod(a[1], mode_arg(a[2])) ? errno : 0;
	}
	if (!strcmp(op, "chown") || !strcmp(op, "lchown")) {
		NEED(3);
		return (op[0] == 'c' ? chown : lchown)(a[1], (uid_t)atol(a[2]),
						     (gid_t)atol(a[3])) ? errno : 0;
	}
	if (!strcmp(op, "truncate")) {
		NEED(2);
		return truncate(a[1], atol(a[2])) ? errno : 0;
	}
	if (!strcmp(op, "utimens")) {	/* utimens PATH ATIME MTIME: sec|now|omit */
		struct timespec tv[2];

		NEED(3);
		for (int i = 0; i < 2; i++) {
			const char *v = a[2 + i];

			tv[i].tv_sec = atol(v);
			tv[i].tv_nsec = !strcmp(v, "now") ? UTIME_NOW :
					!strcmp(v, "omit") ? UTIME_OMIT : 0;
		}
		return utimensat(AT_FDCWD, a[1], tv, AT_SYMLINK_NOFOLLOW) ? errno : 0;
	}
	if (!strcmp(op, "stat") || !strcmp(op, "lstat")) {
		NEED(1);
		if ((op[0] == 's' ? stat : lstat)(a[1], &st))
			return errno;
		print_stat(&st, out, outlen);
		return 0;
	}
	if (!strcmp(op, "access")) {	/* access PATH f|[rwx]+: as the effective ids */
		int m = 0;

		NEED(2);
		for (const char *c = a[2]; *c; c++)
			m |= *c == 'r' ? R_OK : *c == 'w' ? W_OK : *c == 'x' ? X_OK : F_OK;
		return faccessat(AT_FDCWD, a[1], m, AT_EACCESS) ? errno : 0;
	}
	if (!strcmp(op, "mtime")) {	/* an explicit one, or "recent" for one set to now */
		NEED(1);
		if (lstat(a[1], &st))
			return errno;
		if (llabs((long long)st.st_mtim.tv_sec - (long long)time(NULL)) < 86400)
			snprintf(out, outlen, "mtime recent");
		else
			snprintf(out, outlen, "mtime %lld", (long long)st.st_mtim.tv_sec);
		return 0;
	}
	if (!strcmp(op, "times")) {
		NEED(1);
		if (lstat(a[1], &st))
			return errno;
		snprintf(out, outlen, "atime %lld mtime %lld",
			 (long long)st.st_atim.tv_sec, (long long)st.st_mtim.tv_sec);
		return 0;
	}
	if (!strcmp(op, "ls")) {
		char *names[512];
		size_t k = 0, used = 0;
		struct dirent *de;
		DIR *d;

		NEED(1);
		d = opendir(a[1]);
		if (!d)
			return errno;
		while ((de = readdir(d)) && k < 512)
			names[k++] = strdup(de->d_name);
		closedir(d);
		qsort(names, k, sizeof(*names), cmp_str);
		for (size_t i = 0; i < k; i++) {
			used += (size_t)snprintf(out + used, outlen > used ? outlen - used : 0,
						 "%s%s", i ? " " : "", names[i]);
			free(names[i]);
		}
		return 0;
	}
	if (!strcmp(op, "setxattr") || !strcmp(op, "lsetxattr")) {
		/* [l]setxattr PATH NAME VALUE [create|replace]; l: not followed */
		int flags = 0;

		NEED(3);
		if (argc > 4)
			flags = !strcmp(a[4], "create") ? XATTR_CREATE : XATTR_REPLACE;
		return (op[0] == 'l' ? lsetxattr : setxattr)(a[1], a[2], a[3], strlen(a[3]), flags) ?
		       errno : 0;
	}
	if (!strcmp(op, "getxattr") || !strcmp(op, "lgetxattr")) {	/* l: not followed */
		NEED(2);
		n = (op[0] == 'l' ? lgetxattr : getxattr)(a[1], a[2], buf, sizeof(buf) - 1);
		if (n < 0)
			return errno;
		buf[n] = '\0';
		snprintf(out, outlen, "'%.4000s'", buf);
		return 0;
	}
	if (!strcmp(op, "listxattr")) {	/* user.* names only, sorted */
		char *names[64];
		size_t k = 0, used = 0;

		NEED(1);
		n = listxattr(a[1], buf, sizeof(buf));
		if (n < 0)
			return errno;
		for (char *p = buf; p < buf + n && k < 64; p += strlen(p) + 1) {
			if (!strncmp(p, "user.", 5))
				names[k++] = p;
		}
		qsort(names, k, sizeof(*names), cmp_str);
		for (size_t i = 0; i < k; i++)
			used += (size_t)snprintf(out + used, outlen > used ? outlen - used : 0,
						 "%s%s", i ? " " : "", names[i]);
		return 0;
	}
	if (!strcmp(op, "churn")) {
		NEED(2);
		return churn(a[1], atoi(a[2]), out, outlen);
	}
	if (!strcmp(op, "umask")) {	/* umask MASK: for what follows */
		NEED(1);
		umask(mode_arg(a[1]));
		return 0;
	}
	if (!strcmp(op, "setacl")) {	/* setacl PATH access|default ENTRIES */
		NEED(3);
		n = acl_encode(a[3], buf, sizeof(buf));
		if (n < 0)
			return EINVAL;
		return setxattr(a[1], acl_name(a[2]), buf, (size_t)n, 0) ? errno : 0;
	}
	if (!strcmp(op, "getacl")) {	/* getacl PATH access|default */
		NEED(2);
		n = getxattr(a[1], acl_name(a[2]), buf, sizeof(buf));
		if (n < 0)
			return errno;
		acl_decode(buf, (size_t)n, out, outlen);
		return 0;
	}
	if (!strcmp(op, "removexattr")) {
		NEED(2);
		return removexattr(a[1], a[2]) ? errno : 0;
	}
	if (!strcmp(op, "punch") || !strcmp(op, "fallocate")) {	/* PATH OFF LEN */
		NEED(3);
		fd = open(a[1], O_RDWR);
		if (fd < 0)
			return errno;
		e = fallocate(fd, op[0] == 'p' ?
			      FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE : 0,
			      atol(a[2]), atol(a[3])) ? errno : 0;
		close(fd);
		return e;
	}
	if (!strcmp(op, "seek")) {	/* seek PATH data|hole OFF */
		off_t r;

		NEED(3);
		fd = open(a[1], O_RDONLY);
		if (fd < 0)
			return errno;
		/*
		 * Not compared on a directory: there the FUSE kernel module
		 * answers by itself (generic_file_llseek over the size it
		 * caches), the server never sees the call, and ext4's
		 * directory offsets are hash positions anyway.
		 */
		if (!fstat(fd, &st) && S_ISDIR(st.st_mode)) {
			close(fd);
			snprintf(out, outlen, "directory, not compared");
			return 0;
		}
		r = lseek(fd, atol(a[3]), !strcmp(a[2], "data") ? SEEK_DATA : SEEK_HOLE);
		e = r < 0 ? errno : 0;
		close(fd);
		if (!e)
			snprintf(out, outlen, "%lld", (long long)r);
		return e;
	}
	if (!strcmp(op, "copy")) {	/* copy SRC DST LEN: copy_file_range */
		int in;

		NEED(3);
		in = open(a[1], O_RDONLY);
		if (in < 0)
			return errno;
		fd = open(a[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0) {
			e = errno;
			close(in);
			return e;
		}
		n = copy_file_range(in, NULL, fd, NULL, (size_t)atol(a[3]), 0);
		e = n < 0 ? errno : 0;
		close(in);
		close(fd);
		if (!e)
			snprintf(out, outlen, "%zd", n);
		return e;
	}
	if (!strcmp(op, "fsync")) {
		NEED(1);
		fd = open(a[1], O_RDONLY);
		if (fd < 0)
			return errno;
		e = fsync(fd) || fdatasync(fd) ? errno : 0;
		close(fd);
		return e;
	}
	if (!strcmp(op, "flock")) {	/* flock PATH: a second descriptor must fail */
		int fd2;

		NEED(1);
		fd = open(a[1], O_RDONLY);
		if (fd < 0)
			return errno;
		fd2 = open(a[1], O_RDONLY);
		e = flock(fd, LOCK_EX | LOCK_NB) ? errno : 0;
		if (!e)
			snprintf(out, outlen, "second %s",
				 flock(fd2, LOCK_EX | LOCK_NB) ? errname(errno) : "ok");
		close(fd2);
		close(fd);
		return e;
	}
	if (op[0] == 'f' && op[1] == 'd')
		return run_fd(argc, a, out, outlen);
	if (!strcmp(op, "tree")) {
		NEED(1);
		return tree(a[1], out, outlen);
	}
	if (!strcmp(op, "ioctl")) {	/* FS_IOC_GETVERSION */
		int v;

		NEED(1);
		fd = open(a[1], O_RDONLY);
		if (fd < 0)
			return errno;
		e = ioctl(fd, FIONREAD, &v) ? errno : 0;
		close(fd);
		return e;
	}
	return ENOSYS;
#undef NEED
}

/* Become @uid with the groups of @gids: "GID[,GROUP...]", the group and
 * the supplementary groups. */
static int become(uid_t uid, const char *gids)
{
	gid_t groups[16];
	size_t n = 0;
	char *end;
	gid_t gid = (gid_t)strtoul(gids, &end, 10);

	while (*end == ',' && n < sizeof(groups) / sizeof(groups[0]))
		groups[n++] = (gid_t)strtoul(end + 1, &end, 10);
	if (*end)
		return -1;
	return setgroups(n, groups) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid);
}


/*
 * "proc K UID GID" starts process K with those ids; "@K OP ..." then runs
 * OP in it.  The processes live until the end of the script, so the
 * descriptors they keep in slots stay open between operations.
 */
#define NPROCS	8
#define AS_SLOT	NPROCS	/* the process of one "as" line */
static struct { pid_t pid; FILE *to, *from; } procs[NPROCS + 1];


static void serve(FILE *in, FILE *out)
{
	char line[BIG], res[BIG];

	while (fgets(line, sizeof(line), in)) {
		char *args[MAXARGS], *save = NULL;
		int n = 0, e;

		for (char *t = strtok_r(line, " \t\n", &save); t && n < MAXARGS;
		     t = strtok_r(NULL, " \t\n", &save))
			args[n] = t, n++;
		e = n ? run(n, args, res, sizeof(res)) : EINVAL;
		fprintf(out, "%d %s\n", e, res);
		fflush(out);
	}
	_exit(0);
}

static int proc_start(int k, uid_t uid, const char *gids)
{
	int down[2], up[2];
	pid_t pid;

	if (k < 0 || k > AS_SLOT || procs[k].pid || pipe(down) || pipe(up))
		return EINVAL;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return errno;
	if (!pid) {
		close(down[1]);
		close(up[0]);
		for (int i = 0; i <= AS_SLOT; i++) {	/* their pipes end with us */
			if (procs[i].pid) {
				fclose(procs[i].to);
				fclose(procs[i].from);
			}
		}
		if (become(uid, gids))
			_exit(255);
		serve(fdopen(down[0], "r"), fdopen(up[1], "w"));
	}
	close(down[0]);
	close(up[1]);
	procs[k].pid = pid;
	procs[k].to = fdopen(down[1], "w");
	procs[k].from = fdopen(up[0], "r");
	return 0;
}

/* Run @argc words of @a (already expanded) in process K. */
static int proc_run(int k, int argc, char **a, char *out, size_t outlen)
{
	char reply[BIG], *sp;
	int e;

	if (k < 0 || k > AS_SLOT || !procs[k].pid)
		return EINVAL;
	for (int i = 0; i < argc; i++)
		fprintf(procs[k].to, "%s%s", i ? " " : "", a[i]);
	fputc('\n', procs[k].to);
	fflush(procs[k].to);
	if (!fgets(reply, sizeof(reply), procs[k].from))
		return EIO;
	reply[strcspn(reply, "\n")] = '\0';
	e = (int)strtol(reply, &sp, 10);
	snprintf(out, outlen, "%s", *sp == ' ' ? sp + 1 : "");
	return e;
}

/* A process number a script may use (the "as" slot is not one), or -1. */
static int script_slot(const char *s)
{
	int k = atoi(s);

	return k >= 0 && k < NPROCS ? k : -1;
}

/* Process K reads the end of its input, and goes. */
static void proc_end(int k)
{
	if (!procs[k].pid)
		return;
	fclose(procs[k].to);
	fclose(procs[k].from);
	waitpid(procs[k].pid, NULL, 0);
	procs[k].pid = 0;
}

/* "as UID GID OP ...": OP in a process of its own with those ids. */
static int run_as(int argc, char **a, char *out, size_t outlen)
{
	int e;

	if (argc < 4)
		return EINVAL;
	e = proc_start(AS_SLOT, (uid_t)atol(a[1]), a[2]);
	if (e)
		return e;
	e = proc_run(AS_SLOT, argc - 3, a + 3, out, outlen);
	proc_end(AS_SLOT);
	return e;
}

static void on_alarm(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	char line[BIG], out[BIG];
	unsigned long lineno = 0;

	if (argc != 2 || chdir(argv[1])) {
		fprintf(stderr, "usage: fsops DIR < SCRIPT\n");
		return 2;
	}
	umask(022);
	/* no SA_RESTART: an alarm ends a waiting flock with EINTR */
	sigaction(SIGALRM, &(struct sigaction){ .sa_handler = on_alarm }, NULL);
	while (fgets(line, sizeof(line), stdin)) {
		char *args[MAXARGS + 3], *save = NULL, *hash = strchr(line, '#');
		int n = 0, e;

		lineno++;
		if (hash)
			*hash = '\0';
		for (char *t = strtok_r(line, " \t\n", &save); t && n < MAXARGS + 3;
		     t = strtok_r(NULL, " \t\n", &save))
			args[n] = n < MAXARGS ? expand(t, n) : t, n++;
		if (!n)
			continue;
		if (!strcmp(args[0], "proc")) {
			e = n == 4 ? proc_start(script_slot(args[1]), (uid_t)atol(args[2]),
						args[3]) : EINVAL;
			out[0] = '\0';
		} else if (args[0][0] == '@') {
			e = n > 1 ? proc_run(script_slot(args[0] + 1), n - 1, args + 1,
					     out, sizeof(out)) : EINVAL;
		} else {
			e = !strcmp(args[0], "as") ? run_as(n, args, out, sizeof(out)) :
						     run(n, args, out, sizeof(out));
		}
		printf("%lu %s%s%s: %s%s%s\n", lineno,
		       args[0][0] == '@' ? args[0] : "", args[0][0] == '@' ? " " : "",
		       !strcmp(args[0], "as") ? args[3] : args[0][0] == '@' && n > 1 ?
		       args[1] : args[0],
		       e ? errname(e) : "ok", out[0] ? " " : "", out);
		fflush(stdout);
	}
	for (int k = 0; k < NPROCS; k++)
		proc_end(k);
	return 0;
}
