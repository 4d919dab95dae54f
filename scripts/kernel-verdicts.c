// Loads each program of an eBPF object into the running kernel, one at a time, and prints
// the kernel verifier's verdict: `<program> accept` or `<program> refuse <insn>: <reason>`,
// where <reason> is the last line of the verifier log before its statistics. Built and run
// by scripts/kernel-verdicts.sh; needs root (or CAP_BPF) and libbpf.
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char log_buf[1 << 20];

/* The reason the kernel gave: the log line before "verification time", and the index of
 * the last instruction the log printed ("<index>: (<opcode>) ..."). */
static void print_refusal(const char *name)
{
	char *lines[4096];
	int n = 0, reason = -1, insn = -1;

	for (char *l = strtok(log_buf, "\n"); l && n < 4096; l = strtok(NULL, "\n"))
		lines[n++] = l;
	for (int i = 0; i < n; i++) {
		if (strncmp(lines[i], "verification time", 17) == 0 ||
		    strncmp(lines[i], "processed ", 10) == 0) {
			reason = i - 1;
			break;
		}
	}
	if (reason < 0)
		reason = n - 1;
	for (int i = reason; i >= 0; i--) {
		int idx;
		char op;
		if (sscanf(lines[i], "%d: (%c", &idx, &op) == 2) {
			insn = idx;
			break;
		}
	}
	printf("%s refuse %d: %s\n", name, insn, reason >= 0 ? lines[reason] : "?");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OBJECT\n", argv[0]);
		return 2;
	}
	libbpf_set_print(NULL);
	struct bpf_object *probe = bpf_object__open(argv[1]);
	if (!probe) {
		fprintf(stderr, "%s: cannot open\n", argv[1]);
		return 2;
	}
	struct bpf_program *p;
	bpf_object__for_each_program(p, probe) {
		const char *name = bpf_program__name(p);
		struct bpf_object *obj = bpf_object__open(argv[1]);
		struct bpf_program *q;

		bpf_object__for_each_program(q, obj) {
			int this = strcmp(bpf_program__name(q), name) == 0;
			bpf_program__set_autoload(q, this);
			if (this) {
				log_buf[0] = 0;
				bpf_program__set_log_buf(q, log_buf, sizeof(log_buf));
				bpf_program__set_log_level(q, 1);
			}
		}
		if (bpf_object__load(obj) == 0)
			printf("%s accept\n", name);
		else
			print_refusal(name);
		bpf_object__close(obj);
	}
	bpf_object__close(probe);
	return 0;
}
