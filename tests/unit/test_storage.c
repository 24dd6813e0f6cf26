/* The storage diagnosis on fake sysfs trees (tests/unit/sysfs/, README there):
 * Intel RST remapped NVMe with its remedy, VMD without a driver, a controller with
 * no driver, IMSM member signatures read by libblkid from image files, a degraded
 * md set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "winrescue/storage.h"
#include "winrescue/util.h"

static struct wr_storage *examine(const char *tree, const char *dev_root)
{
	const char *src = getenv("WR_SOURCE");
	assert_non_null(src);
	char *root = wr_xasprintf("%s/tests/unit/sysfs/%s", src, tree);
	struct wr_storage *st = wr_storage_examine(root, dev_root);
	free(root);
	return st;
}

static bool has_note(const struct wr_storage *st, const char *needle)
{
	for (size_t i = 0; i < st->nnotes; i++)
		if (strstr(st->notes[i], needle))
			return true;
	return false;
}

static const struct wr_storage_controller *controller(const struct wr_storage *st,
						      const char *address)
{
	for (size_t i = 0; i < st->ncontrollers; i++)
		if (!strcmp(st->controllers[i].address, address))
			return &st->controllers[i];
	fail_msg("no controller %s", address);
	return NULL;
}

static void rst_remapped_nvme(void **state)
{
	(void)state;
	struct wr_storage *st = examine("rst-remapped", NULL);
	assert_int_equal(st->ndisks, 0);
	assert_int_equal(st->ncontrollers, 1);   /* the ISA bridge is not storage */
	const struct wr_storage_controller *c = controller(st, "0000:00:17.0");
	assert_string_equal(c->kind, "RAID");
	assert_string_equal(c->id, "8086:2822");
	assert_string_equal(c->driver, "ahci");
	assert_int_equal(c->remapped_nvme, 1);
	assert_true(has_note(st, "Intel RST (\"RAID On\") hides 1 NVMe drive behind the SATA "
		"controller 0000:00:17.0: in the firmware setup switch the SATA mode from RAID to "
		"AHCI, run winrescue, and switch it back to RAID before Windows starts"));
	assert_true(has_note(st, "no disk at all is visible"));
	wr_storage_free(st);
}

static void vmd_without_driver(void **state)
{
	(void)state;
	struct wr_storage *st = examine("vmd-nodriver", NULL);
	const struct wr_storage_controller *vmd = controller(st, "0000:00:0e.0");
	assert_string_equal(vmd->kind, "Intel VMD");
	assert_null(vmd->driver);
	assert_int_equal(vmd->remapped_nvme, -1);
	assert_true(has_note(st, "Intel VMD controller 0000:00:0e.0 has no driver"));
	const struct wr_storage_controller *sata = controller(st, "0000:00:17.0");
	assert_string_equal(sata->kind, "SATA");
	assert_int_equal(sata->remapped_nvme, 0);
	assert_false(has_note(st, "hides"));
	assert_int_equal(st->ndisks, 1);
	assert_string_equal(st->disks[0].name, "sda");
	assert_int_equal(st->disks[0].size, 500118192ULL * 512);
	assert_string_equal(st->disks[0].transport, "sata");
	assert_string_equal(st->disks[0].model, "WDC WDS500G2B0A");
	assert_string_equal(st->disks[0].controller, "0000:00:17.0");
	wr_storage_free(st);
}

static void controller_without_driver(void **state)
{
	(void)state;
	struct wr_storage *st = examine("no-driver", NULL);
	const struct wr_storage_controller *hpsa = controller(st, "0000:03:00.0");
	assert_null(hpsa->driver);
	assert_true(has_note(st, "RAID controller 0000:03:00.0 (PCI 103c:323a) has no driver "
		"on this stick"));
	assert_string_equal(controller(st, "0000:00:04.0")->driver, "nvme");
	/* The partition is not a disk of its own. */
	assert_int_equal(st->ndisks, 1);
	assert_string_equal(st->disks[0].name, "nvme0n1");
	assert_string_equal(st->disks[0].transport, "nvme");
	assert_string_equal(st->disks[0].model, "INTEL SSDPEKNW010T8");
	assert_string_equal(st->disks[0].controller, "0000:00:04.0");
	assert_false(has_note(st, "no disk at all"));
	wr_storage_free(st);
}

/* A disk image whose second-to-last sector carries the IMSM anchor (as mdadm and
 * the Intel option ROM write it), or nothing. */
static void make_disk(const char *dir, const char *name, bool imsm)
{
	char *path = wr_xasprintf("%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8 << 20), 0);
	if (imsm) {
		static const char sig[] = "Intel Raid ISM Cfg Sig. 1.1.00";
		assert_int_equal(pwrite(fd, sig, sizeof(sig) - 1, (8 << 20) - 1024),
				 (ssize_t)sizeof(sig) - 1);
	}
	close(fd);
	free(path);
}

static void imsm_members(void **state)
{
	(void)state;
	char dir[] = "/tmp/wr-storage.XXXXXX";
	assert_non_null(mkdtemp(dir));
	make_disk(dir, "sda", true);
	make_disk(dir, "sdb", true);
	make_disk(dir, "sdc", false);
	struct wr_storage *st = examine("imsm", dir);
	assert_int_equal(st->ndisks, 3);             /* loop0 is not a disk */
	assert_string_equal(st->disks[0].raid_member, "isw_raid_member");
	assert_string_equal(st->disks[1].raid_member, "isw_raid_member");
	assert_null(st->disks[2].raid_member);
	assert_true(has_note(st, "sda is a member of an Intel RST (IMSM) RAID set"));
	assert_true(has_note(st, "sdb is a member of an Intel RST (IMSM) RAID set"));
	assert_false(has_note(st, "sdc is a member"));
	wr_storage_free(st);
	for (const char *n = "abc"; *n; n++) {
		char *path = wr_xasprintf("%s/sd%c", dir, *n);
		unlink(path);
		free(path);
	}
	rmdir(dir);
}

/* A mirror with a member missing is named in the notes with what a fix does to
 * it; a whole set and the container (size 0) are not. */
static void degraded_set(void **state)
{
	(void)state;
	struct wr_storage *st = examine("md-degraded", NULL);
	assert_true(wr_storage_degraded(st));
	assert_int_equal(st->nnotes, 1);
	assert_true(has_note(st, "RAID set md126 is degraded: 1 member missing. A fix writes "
		"through the set to the members present; a missing member is not changed"));
	for (size_t i = 0; i < st->ndisks; i++) {
		assert_string_equal(st->disks[i].transport, "md");
		assert_int_equal(st->disks[i].degraded, !strcmp(st->disks[i].name, "md126"));
	}
	wr_storage_free(st);
	st = examine("imsm", NULL);
	assert_false(wr_storage_degraded(st));
	wr_storage_free(st);
}

static void settle_on_a_quiet_tree(void **state)
{
	(void)state;
	const char *src = getenv("WR_SOURCE");
	char *root = wr_xasprintf("%s/tests/unit/sysfs/imsm", src);
	bool settled = false;
	double waited = wr_storage_settle(root, 300, 5000, NULL, NULL, &settled);
	assert_true(settled);
	assert_true(waited >= 0.3);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rst_remapped_nvme),
		cmocka_unit_test(vmd_without_driver),
		cmocka_unit_test(controller_without_driver),
		cmocka_unit_test(imsm_members),
		cmocka_unit_test(degraded_set),
		cmocka_unit_test(settle_on_a_quiet_tree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
