// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fsgen.c - write a random script for tests/fsops: four processes of
 * three users doing mixed operations on a small set of names, so that
 * paths collide often (files renamed over open files, directories
 * removed under a process that holds them, locks taken against each
 * other).  The same seed always gives the same script.
 *
 * Usage: fsgen SEED COUNT
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t rng;

static uint32_t next(void)
{
	/* xorshift64*: small, fast and good enough to pick operations */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545F4914F6CDD1DULL) >> 32);
}

static unsigned int pick(unsigned int n)
{
	return next() % n;
}

#define ONE_OF(arr) (arr)[pick(sizeof(arr) / sizeof((arr)[0]))]

static const char *const dirs[] = { ".", "d0", "d1", "t", "g", "d0/e", "d1/e" };
static const char *const names[] = { "a", "b", "c", "e", "l" };
static const char *const modes[] = {
	"0644", "0600", "0755", "0700", "0777", "0000", "0444",
	"4755", "2755", "2775", "1777", "6711", "0620",
};
static const char *const ids[] = { "0", "1000", "1001", "-1" };
/*
 * Symlink targets never climb: a link followed by the kernel on the plain
 * directory must land inside it too.  The absolute one dangles under a
 * directory that does not exist, so nothing can be made through it.
 */
static const char *const targets[] = {
	"a", "b", "e", "e/a", ".", "l", "/nonexistent-hk-test/x",
};
static const char *const xnames[] = { "user.k1", "user.k2", "trusted.k" };

static void path(void)
{
	const char *d = ONE_OF(dirs);

	if (pick(8) == 0 && d[0] != '.') {	/* a directory itself */
		fputs(d, stdout);
		return;
	}
	if (d[0] != '.')
		printf("%s/", d);
	fputs(ONE_OF(names), stdout);
}

static void word(void)
{
	unsigned int n = 1 + pick(24);

	putchar(' ');
	while (n--)
		putchar('a' + (int)pick(26));
}

static void flags(void)
{
	static const char *const access[] = { "rdonly", "wronly", "rdwr" };
	static const char *const extra[] = {
		"creat", "excl", "trunc", "append", "nofollow", "directory", "path",
	};

	printf(" %s", ONE_OF(access));
	for (unsigned int i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		if (pick(4) == 0)
			printf(",%s", extra[i]);
	}
	printf(" %s", ONE_OF(modes));
}

/*
 * An ACL in fsops's form: the three base entries, sometimes named users
 * and groups, and a mask where those need one.  One in eight lacks the
 * mask it needs, which the kernel refuses (EINVAL) on both sides.
 */
static void acl(void)
{
	static const char *const who[] = { "1000", "1001" };
	int named = 0;

	printf(" u::%u", pick(8));
	for (unsigned int i = 0; i < 2; i++) {
		if (pick(3) == 0) {
			printf(",u:%s:%u", who[i], pick(8));
			named = 1;
		}
	}
	printf(",g::%u", pick(8));
	for (unsigned int i = 0; i < 2; i++) {
		if (pick(3) == 0) {
			printf(",g:%s:%u", who[i], pick(8));
			named = 1;
		}
	}
	if ((named && pick(8)) || (!named && pick(4) == 0))
		printf(",m::%u", pick(8));
	printf(",o::%u", pick(8));
}

static void op(void)
{
	unsigned int slot = pick(2);

	printf("@%u ", pick(4));
	switch (pick(48)) {
	case 0: case 1: fputs("write ", stdout); path(); word(); break;
	case 2: fputs("append ", stdout); path(); word(); break;
	case 3: case 4: fputs("read ", stdout); path(); break;
	case 5: fputs("pread ", stdout); path(); printf(" %u %u", pick(9000), pick(9000)); break;
	case 6: fputs("pwrite ", stdout); path(); printf(" %u", pick(9000)); word(); break;
	case 7: fputs("open ", stdout); path(); flags(); break;
	case 8: case 9: fputs("mkdir ", stdout); path(); printf(" %s", ONE_OF(modes)); break;
	case 10: fputs("rmdir ", stdout); path(); break;
	case 11: fputs("unlink ", stdout); path(); break;
	case 12: case 13:
		fputs("rename ", stdout); path(); putchar(' '); path();
		printf("%s", pick(3) ? "" : pick(2) ? " noreplace" : " exchange");
		break;
	case 14: fputs("link ", stdout); path(); putchar(' '); path(); break;
	case 15: printf("symlink %s ", ONE_OF(targets)); path(); break;
	case 16: fputs("readlink ", stdout); path(); break;
	case 17: fputs("chmod ", stdout); path(); printf(" %s", ONE_OF(modes)); break;
	case 18:
		fputs(pick(2) ? "chown " : "lchown ", stdout); path();
		printf(" %s %s", ONE_OF(ids), ONE_OF(ids));
		break;
	case 19: fputs("truncate ", stdout); path(); printf(" %u", pick(12000)); break;
	case 20: fputs(pick(2) ? "stat " : "lstat ", stdout); path(); break;
	case 21: fputs("ls ", stdout); fputs(ONE_OF(dirs), stdout); break;
	case 22:
		fputs("setxattr ", stdout); path(); printf(" %s", ONE_OF(xnames)); word();
		printf("%s", pick(3) ? "" : pick(2) ? " create" : " replace");
		break;
	case 23: fputs("getxattr ", stdout); path(); printf(" %s", ONE_OF(xnames)); break;
	case 24: fputs("listxattr ", stdout); path(); break;
	case 25: fputs("removexattr ", stdout); path(); printf(" %s", ONE_OF(xnames)); break;
	case 26:
		/*
		 * Holes only: a plain fallocate leaves unwritten extents, and
		 * where ext4 puts SEEK_DATA over those depends on which pages
		 * read-ahead happened to bring in (uptodate pages count as
		 * data), so the kernel's cache through FUSE answers otherwise
		 * than the reference without anything being wrong.
		 */
		fputs("punch ", stdout); path();
		printf(" %u %u", pick(3) * 4096, (1 + pick(3)) * 4096);
		break;
	case 27:
		fputs("seek ", stdout); path();
		printf(" %s %u", pick(2) ? "data" : "hole", pick(3) * 4096);
		break;
	case 28: fputs("copy ", stdout); path(); putchar(' '); path(); printf(" %u", pick(9000)); break;
	case 29: fputs("fsync ", stdout); path(); break;
	case 30: case 31: printf("fdopen %u ", slot); path(); flags(); break;
	case 32: printf("fdclose %u", slot); break;
	case 33:
		printf("fdread %u ", slot);
		if (pick(2))
			printf("- %u", pick(5000));
		else
			printf("%u %u", pick(9000), pick(5000));
		break;
	case 34:
		printf("fdwrite %u ", slot);
		if (pick(2))
			putchar('-');
		else
			printf("%u", pick(9000));
		word();
		break;
	case 35: printf("fdtrunc %u %u", slot, pick(9000)); break;
	case 36: printf("fdstat %u", slot); break;
	case 37: printf("fdchmod %u %s", slot, ONE_OF(modes)); break;
	case 38:
		printf("fd%s %u %c %u %u", pick(2) ? "lock" : "getlk", slot,
		       "rwu"[pick(3)], pick(4) * 100, pick(3) * 100);
		break;
	case 39: case 40:
		/* default ACLs are for directories: elsewhere EACCES */
		fputs("setacl ", stdout); path();
		fputs(pick(2) ? " access" : " default", stdout); acl();
		break;
	case 41:
		fputs("getacl ", stdout); path();
		fputs(pick(2) ? " access" : " default", stdout);
		break;
	case 42:
		fputs("removexattr ", stdout); path();
		fputs(pick(2) ? " system.posix_acl_access" : " system.posix_acl_default", stdout);
		break;
	case 43:
		fputs("access ", stdout); path();
		printf(" %s", pick(4) == 0 ? "f" : pick(2) ? "r" : pick(2) ? "w" : pick(2) ? "x" : "rwx");
		break;
	case 44: {
		/* explicit times need the owner; now, the owner or write access */
		static const char *const t[] = { "now", "omit", "1000000", "2000000000" };

		if (pick(2)) {
			fputs("utimens ", stdout); path();
			printf(" %s %s", ONE_OF(t), ONE_OF(t));
		} else {
			fputs("mtime ", stdout); path();
		}
		break;
	}
	case 45:
		printf("umask %s", pick(2) ? "022" : pick(2) ? "077" : pick(2) ? "002" : "000");
		break;
	case 46:
		fputs(pick(2) ? "dwrite " : "dread ", stdout); path();
		printf(" %u", pick(3) * 4096);
		break;
	default:
		printf("fdflock %u %s", slot, pick(3) == 0 ? "un" : pick(2) ? "sh" : "ex");
		break;
	}
	putchar('\n');
}

int main(int argc, char **argv)
{
	long count;

	if (argc != 3 || (count = atol(argv[2])) < 0) {
		fprintf(stderr, "usage: fsgen SEED COUNT\n");
		return 2;
	}
	rng = strtoull(argv[1], NULL, 0) * 0x9E3779B97F4A7C15ULL + 1;
	printf("# fsgen %s %s\n"
	       "proc 0 0 0\nproc 1 1000 1000\nproc 2 1001 1001\nproc 3 1000 1001\n"
	       "mkdir d0 0777\nmkdir d1 0755\nchown d1 1000 1000\n"
	       "mkdir t 1777\nmkdir g 2775\nchown g 0 1001\n"
	       "chmod d0 0777\nchmod t 1777\nchmod g 2775\n"
	       "mkfifo p 0666\n",
	       argv[1], argv[2]);
	for (long i = 1; i <= count; i++) {
		op();
		/* now and then root opens the shared directories up again,
		 * or a chmod 0000 would leave the users nothing to do */
		if (i % 64 == 0)
			puts("@0 chmod d0 0777\n@0 chmod t 1777\n@0 chmod g 2775");
	}
	puts("stat p\ntree .");
	return 0;
}
