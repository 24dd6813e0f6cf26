#include "winrescue/bitlocker_inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "winrescue/bitlocker_user.h"
#include "winrescue/fve.h"
#include "winrescue/util.h"

static enum wr_protector_type protector_type(uint16_t protection)
{
	switch (protection) {
	case WR_FVE_PROT_CLEAR_KEY: return WR_PROTECTOR_CLEAR_KEY;
	case WR_FVE_PROT_TPM: return WR_PROTECTOR_TPM;
	case WR_FVE_PROT_STARTUP_KEY: return WR_PROTECTOR_STARTUP_KEY;
	case WR_FVE_PROT_TPM_STARTUP_KEY: return WR_PROTECTOR_TPM_STARTUP_KEY;
	case WR_FVE_PROT_TPM_PIN: return WR_PROTECTOR_TPM_PIN;
	case WR_FVE_PROT_TPM_PIN_STARTUP_KEY: return WR_PROTECTOR_TPM_PIN_STARTUP_KEY;
	case WR_FVE_PROT_RECOVERY_PASSWORD: return WR_PROTECTOR_RECOVERY_PASSWORD;
	case WR_FVE_PROT_SMART_CARD: return WR_PROTECTOR_SMART_CARD;
	case WR_FVE_PROT_PASSWORD: return WR_PROTECTOR_PASSWORD;
	default: return WR_PROTECTOR_UNKNOWN;
	}
}

static void fill_model(struct wr_volume *vol, const struct wr_fve_info *info)
{
	wr_bitlocker_clear(&vol->bitlocker);
	vol->encryption = WR_ENC_BITLOCKER;
	for (size_t i = 0; i < info->nprotectors; i++) {
		struct wr_protector *p = wr_bitlocker_add_protector(&vol->bitlocker);
		p->protection = info->protectors[i].protection;
		p->type = protector_type(p->protection);
		memcpy(p->key_id, info->protectors[i].guid, sizeof(p->key_id));
	}
	vol->bitlocker.cipher = wr_xstrdup(wr_fve_method_cipher(info->method));
}

/* Why winrescue cannot open this kind of volume at all, NULL when it can (suspended,
 * paused, partially converted, decrypted and encrypt-on-write volumes with a map that
 * checks out open through the userspace device, bitlocker_user.h). */
static char *refusal(const struct wr_fve_info *info)
{
	if (info->version == 1)
		return wr_xstrdup("BitLocker of Windows Vista (version 1): winrescue cannot open "
				  "it; unlock it from Windows (WinPE) instead");
	if (info->togo)
		return wr_xstrdup("BitLocker To Go volume (a removable drive, FAT inside): "
				  "not a Windows system volume, left alone");
	if (!wr_fve_method_cipher(info->method))
		return wr_xasprintf("unknown BitLocker encryption method 0x%04x", info->method);
	return NULL;
}

int wr_bitlocker_inspect(struct wr_volume *vol)
{
	struct wr_fve_info info;
	uint64_t offset;
	const char *path = wr_volume_source(vol, &offset, NULL);
	char *msg = NULL;
	if (!path)
		return -ENOENT;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = fd < 0 ? -errno : wr_fve_read_fd(fd, offset, &info, &msg);
	if (fd >= 0)
		close(fd);
	if (rc == -ENOENT) {
		free(msg);
		return rc;
	}
	if (rc && !msg) {
		wr_set_message(&vol->bitlocker.open_error, "cannot read %s: %s", path, strerror(-rc));
		return rc;
	}
	fill_model(vol, &info);
	if (rc && info.version != 1) {
		vol->bitlocker.open_error = msg;
		return rc;
	}
	free(msg);
	uint64_t size = 0;
	wr_volume_source(vol, NULL, &size);
	char *eow_problem = wr_bitlocker_user_state(vol, path, offset, size);
	vol->bitlocker.open_error = refusal(&info);
	if (!vol->bitlocker.open_error)
		vol->bitlocker.open_error = eow_problem;
	else
		free(eow_problem);
	return vol->bitlocker.open_error ? -ENOTSUP : 0;
}
