#include "cfgd/tlsfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bus.h"
#include "config.pb-c.h"

#define FILE_MAX (4u << 20) /* certificates and CRLs are far smaller */

/* FNV-1a of the file's content (of its errno when it cannot be read),
 * folded into h. */
static uint64_t fold_file(uint64_t h, const char *path)
{
	char *buf = malloc(FILE_MAX);
	ssize_t n = -1;
	size_t len = 0;
	int fd, err = 0;
	uint64_t d;

	if (buf == NULL)
		return h ^ 0x9e3779b97f4a7c15ull;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		err = errno;
	while (fd >= 0 && len < FILE_MAX && (n = read(fd, buf + len, FILE_MAX - len)) > 0)
		len += (size_t)n;
	if (fd >= 0 && n < 0)
		err = errno;
	if (fd >= 0)
		close(fd);
	d = err ? bus_digest(&err, sizeof(err)) : bus_digest(buf, len);
	free(buf);
	return (h ^ d) * 0x100000001b3ull + 1;
}

int cfg_tls_files_stamp(struct compiled *out)
{
	Db__RbsdConfig *r;
	uint8_t *sec;
	size_t len;
	int rc;

	rc = cfg_compiled_rbsd(out, &r);
	if (rc < 0 || r == NULL)
		return rc;
	for (size_t i = 0; i < r->n_services; i++) {
		Db__SslPolicyConfig *p = r->services[i]->ssl;
		uint64_t h = 0xcbf29ce484222325ull;

		if (p == NULL)
			continue;
		if (p->cert_file && p->cert_file[0])
			h = fold_file(h, p->cert_file);
		if (p->key_file && p->key_file[0])
			h = fold_file(h, p->key_file);
		for (size_t j = 0; j < p->n_ca_files; j++)
			h = fold_file(h, p->ca_files[j]);
		for (size_t j = 0; j < p->n_crl_files; j++)
			h = fold_file(h, p->crl_files[j]);
		p->files_digest = h ? h : 1;
	}
	len = db__rbsd_config__get_packed_size(r);
	sec = malloc(len ? len : 1);
	if (sec == NULL) {
		db__rbsd_config__free_unpacked(r, NULL);
		return -ENOMEM;
	}
	db__rbsd_config__pack(r, sec);
	db__rbsd_config__free_unpacked(r, NULL);
	free(out->sec[D_RBSD]);
	out->sec[D_RBSD] = sec;
	out->len[D_RBSD] = len;
	out->digest[D_RBSD] = 0;
	return 0;
}
