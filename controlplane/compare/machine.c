// SPDX-License-Identifier: MIT
/* The machine the numbers came from: CPU model, cores, clock, kernel,
 * whether it runs under a hypervisor (the "hypervisor" CPU flag), and how
 * busy it was (load average). */
#include <stdio.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <sys/utsname.h>
#include <unistd.h>

#include "compare.h"

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* The hypervisor's CPUID signature (leaf 0x40000000: "KVMKVMKVM",
 * "Microsoft Hv", "VMwareVMware" ...), as lscpu reads it: VMs such as
 * Firecracker have neither /sys/hypervisor nor DMI. */
static void cpuid_hypervisor(char *dst, size_t len)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned int a, b, c, d;
	char sig[13];

	__cpuid(0x40000000, a, b, c, d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = '\0';
	if (!strcmp(sig, "KVMKVMKVM"))
		snprintf(dst, len, "KVM");
	else if (sig[0] > ' ' && sig[0] < 127)
		snprintf(dst, len, "%s", sig);
#else
	(void)dst;
	(void)len;
#endif
}

void cp_cmp_machine_probe(struct cp_cmp_machine *m)
{
	struct utsname u;
	char line[1024];
	FILE *f;

	memset(m, 0, sizeof(*m));
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	m->cores = n > 0 ? (unsigned int)n : 0;
	if (uname(&u) == 0 &&
	    snprintf(m->kernel, sizeof(m->kernel), "%s %s", u.sysname,
		     u.release) >= (int)sizeof(m->kernel))
		m->kernel[sizeof(m->kernel) - 1] = '\0'; /* cut: still named */
	f = fopen("/proc/cpuinfo", "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *v = strchr(line, ':');

			if (!v)
				continue;
			v += 1 + (v[1] == ' ');
			trim(v);
			if (!m->cpu[0] && !strncmp(line, "model name", 10))
				snprintf(m->cpu, sizeof(m->cpu), "%s", v);
			else if (m->mhz == 0 && !strncmp(line, "cpu MHz", 7))
				sscanf(v, "%lf", &m->mhz);
			else if (!strncmp(line, "flags", 5) &&
				 strstr(line, " hypervisor"))
				m->virtualised = true;
		}
		fclose(f);
	}
	f = fopen("/sys/hypervisor/type", "r");
	if (f) {
		if (fgets(line, sizeof(line), f)) {
			trim(line);
			snprintf(m->hypervisor, sizeof(m->hypervisor), "%s",
				 line);
		}
		fclose(f);
	}
	f = fopen("/sys/class/dmi/id/sys_vendor", "r");
	if (f && !m->hypervisor[0]) {
		if (fgets(line, sizeof(line), f)) {
			trim(line);
			snprintf(m->hypervisor, sizeof(m->hypervisor), "%s",
				 line);
		}
	}
	if (f)
		fclose(f);
	if (m->virtualised && !m->hypervisor[0])
		cpuid_hypervisor(m->hypervisor, sizeof(m->hypervisor));
	m->load[0] = m->load[1] = m->load[2] = -1;
	f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf %lf %lf", &m->load[0], &m->load[1],
			   &m->load[2]) != 3)
			m->load[0] = m->load[1] = m->load[2] = -1;
		fclose(f);
	}
}
