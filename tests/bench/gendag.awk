# gendag.awk - the same random layered DAG of N no-op steps, written as a
# drover workflow (dag.yaml), a build.ninja and a Makefile.  Usage:
#   awk -v n=1000 -v seed=7 -v out=DIR -f gendag.awk
# Steps come in layers of 50; each step after the first layer depends on
# 3 distinct steps of the layer before, drawn with awk's srand(seed), so a
# seed gives the same graph on every machine.
BEGIN {
	srand(seed)
	width = 50
	wf = out "/dag.yaml"
	nj = out "/build.ninja"
	mk = out "/Makefile"
	print "name: dag" > wf
	print "limits: {max_parallel: 2}" > wf
	print "steps:" > wf
	print "rule noop\n  command = true\n" > nj
	printf ".PHONY: all" > mk
	for (i = 0; i < n; i++)
		printf " s%d", i > mk
	printf "\nall:" > mk
	for (i = 0; i < n; i++)
		printf " s%d", i > mk
	print "" > mk
	for (i = 0; i < n; i++) {
		layer = int(i / width)
		deps = ""
		if (layer > 0) {
			for (j = 0; j < 3; j++) {
				do
					d = (layer - 1) * width + int(rand() * width)
				while (index(" " deps " ", " s" d " ") != 0)
				deps = deps (deps == "" ? "" : " ") "s" d
			}
		}
		dlist = deps
		gsub(/ /, ", ", dlist)
		printf "  - {id: s%d, depends_on: [%s], run: \"true\"}\n", i, dlist > wf
		printf "build s%d: noop%s\n", i, deps == "" ? "" : " | " deps > nj
		printf "s%d:%s\n\ttrue\n", i, deps == "" ? "" : " " deps > mk
	}
	printf "\nbuild all: phony" > nj
	for (i = 0; i < n; i++)
		printf " s%d", i > nj
	print "\ndefault all" > nj
}
