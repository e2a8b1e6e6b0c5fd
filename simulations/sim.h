/* apex-sim internals shared by sim.c (processes) and report.c (report). */
#ifndef APEX_SIM_H
#define APEX_SIM_H

#include <limits.h>
#include <sys/types.h>

#include "scenario.h"

typedef struct sim_proc {
    pid_t pid;      /* 0 once reaped */
    int status;     /* wait status */
    int exited;     /* reaped */
    char id[32];    /* client id or "coordinator" */
    double kill_at; /* monotonic s at which to SIGKILL it (fault), 0: never */
} sim_proc;

typedef struct sim {
    sim_scenario sc;       /* the scenario */
    char dir[PATH_MAX];    /* run directory */
    char bindir[PATH_MAX]; /* where apex-coordinator and apex-client live */
    char model[PATH_MAX];  /* model file streamed */
    sim_proc coord;        /* coordinator process */
    sim_proc *clients;     /* [clients] */
    double raw_gbps;       /* raw ZeroMQ loopback, same security mode as the fleet */
    double raw_plain_gbps; /* raw ZeroMQ loopback, plaintext */
    double wall_s;         /* spawn to last exit */
} sim;

/* Read the coordinator summary and client reports, write the JSON report
 * (path may be NULL), print a table (or the JSON with json_out). Returns 1
 * when every client verified its model. */
int sim_report(const sim *s, const char *path, int json_out);

#endif
