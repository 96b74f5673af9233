/*
 * vettool.h - golive as `go vet -vettool=$(command -v golive)`: the
 * unitchecker protocol (-flags, -V=full, one vet.cfg per package).
 */
#ifndef GOLIVE_VETTOOL_H
#define GOLIVE_VETTOOL_H

/* True when argv is a go vet invocation: argv[1] is -flags or -V=full, or the last word is a .cfg
 * file. */
int vettool_detect(int argc, char **argv);
/* Runs the vettool protocol; returns the exit status. */
int vettool_main(int argc, char **argv);

#endif
