/* config.h - fixed capacities. A tiny configuration (-Dtiny=true, macro
 * NMRSIM_TINY) shrinks every limit so tests drive the overflow paths. */
#ifndef NMRSIM_CONFIG_H
#define NMRSIM_CONFIG_H

#ifdef NMRSIM_TINY
#define SCN_MODULES_MAX 3        /* modules in a scenario */
#define SCN_THREADS_MAX 2        /* scripted threads */
#define SCN_OPS_MAX 12           /* operations over all threads */
#define SCN_SCHED_BYTES_MAX 64   /* schedule bytes kept from an input */
#define SCN_CHOICES_MAX 256      /* recorded choices in a trace file */
#define NMR_REGS_MAX 4           /* registration slots */
#define NMR_BINDINGS_MAX 4       /* binding slots */
#define NMR_WORK_MAX 8           /* deferred NMR deliveries queued at once */
#define TRACE_EVENTS_MAX 512     /* events kept for rendering (hash covers all) */
#define ORACLE_FINDINGS_MAX 2    /* findings kept per run */
#else
#define SCN_MODULES_MAX 8
#define SCN_THREADS_MAX 4
#define SCN_OPS_MAX 64
#define SCN_SCHED_BYTES_MAX 4096
#define SCN_CHOICES_MAX 16384
#define NMR_REGS_MAX 16
#define NMR_BINDINGS_MAX 32
#define NMR_WORK_MAX 64
#define TRACE_EVENTS_MAX 65536
#define ORACLE_FINDINGS_MAX 8
#endif

#define SCN_NPIS_MAX 4           /* distinct NPIs a scenario can name */
#define SCN_NAME_MAX 32          /* module/thread name bytes incl. NUL (driver build names fit) */
#define SCN_EXPECT_MAX 8         /* rule IDs in an expect line */
#define NMR_WORKERS_MAX 2        /* NMR worker threads */
#define MOD_WORKERS 1            /* module work-item threads (system worker) */
/* thread ids: scripted threads, NMR workers, the system worker, then one drain (unload) thread per module */
#define SIM_THREADS_ENGINE_MAX (SCN_THREADS_MAX + NMR_WORKERS_MAX + MOD_WORKERS + SCN_MODULES_MAX)
/* Kernel helper threads (sim/kernel/kernel.h) have fixed ids above the engine's, so
 * their names do not depend on when they were spawned: the DPC thread, the
 * I/O worker, then PsCreateSystemThread threads. */
#ifdef NMRSIM_TINY
#define KERNEL_SYSTEM_THREADS_MAX 2
#else
#define KERNEL_SYSTEM_THREADS_MAX 4
#endif
/* System worker threads for hosted drivers' work items (`io-workers N`, and
 * the pool growing when every worker is blocked with items queued): the
 * first is SIM_THREAD_IO_WORKER, the others come after the system threads,
 * so no id of a run with fewer workers moves. */
#ifdef NMRSIM_TINY
#define KERNEL_IO_WORKERS_MAX 3
#else
#define KERNEL_IO_WORKERS_MAX 4
#endif
#define KERNEL_THREADS_MAX (1 + KERNEL_IO_WORKERS_MAX + KERNEL_SYSTEM_THREADS_MAX)
#define SIM_THREAD_DPC SIM_THREADS_ENGINE_MAX
#define SIM_THREAD_IO_WORKER (SIM_THREADS_ENGINE_MAX + 1)
#define SIM_THREAD_SYSTEM_FIRST (SIM_THREADS_ENGINE_MAX + 2)
#define SIM_THREAD_IO_WORKER2 (SIM_THREAD_SYSTEM_FIRST + KERNEL_SYSTEM_THREADS_MAX)
/* The id of I/O worker n (0-based): the first, then the rest in a row. */
#define SIM_THREAD_IO_WORKER_N(n) ((n) == 0 ? SIM_THREAD_IO_WORKER : SIM_THREAD_IO_WORKER2 + (n) - 1)
#define SIM_THREADS_MAX (SIM_THREADS_ENGINE_MAX + KERNEL_THREADS_MAX)
/* The registry a build gives its drivers (sim/kernel/registry.h). */
#ifdef NMRSIM_TINY
#define REG_VALUES_MAX 2
#define REG_DATA_MAX 32
#else
#define REG_VALUES_MAX 64        /* values in a registry file */
#define REG_DATA_MAX 1024        /* data bytes of one value (strings as UTF-16) */
#endif
#define REG_PATH_MAX 256         /* key path bytes incl. NUL, absolute */
#define REG_NAME_MAX 64          /* value name bytes incl. NUL */
#define FIBER_STACK_BYTES (64 * 1024)
#define STEPS_DEFAULT 20000u

#endif
