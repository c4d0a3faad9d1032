# gendag.awk - the same random layered DAG of N no-op steps, written as a
# drover workflow and as a build.ninja.  Usage:
#   awk -v n=1000 -v seed=7 -v out=DIR -f gendag.awk
# Steps come in layers of 50; each step after the first layer depends on 1
# to 3 steps of earlier layers.
BEGIN {
	srand(seed)
	width = 50
	wf = out "/dag.yaml"
	nj = out "/build.ninja"
	print "name: dag" > wf
	print "limits: {max_parallel: 2}" > wf
	print "steps:" > wf
	print "rule noop\n  command = true\n" > nj
	for (i = 0; i < n; i++) {
		layer = int(i / width)
		deps = ""
		if (layer > 0) {
			k = 1 + int(rand() * 3)
			for (j = 0; j < k; j++) {
				d = int(rand() * layer * width)
				if (index(" " deps " ", " s" d " ") == 0)
					deps = deps (deps == "" ? "" : " ") "s" d
			}
		}
		dlist = deps
		gsub(/ /, ", ", dlist)
		printf "  - {id: s%d, depends_on: [%s], run: \"true\"}\n", i, dlist > wf
		printf "build s%d: noop%s\n", i, deps == "" ? "" : " | " deps > nj
	}
	printf "\nbuild all: phony" > nj
	for (i = 0; i < n; i++)
		printf " s%d", i > nj
	print "\ndefault all" > nj
}
