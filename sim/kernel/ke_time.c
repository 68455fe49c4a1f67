/* ke_time.c - time queries from simulated time (kernel.h: KERNEL_STEP_TIME
 * per scheduling step, jumps to the next deadline when nothing can run).
 * Each query is a scheduling point, so a driver that polls the clock lets
 * time (and the other threads) move on. */
#include "kernel/kernel.h"

static uint64_t now(void)
{
	struct kernel *k = kernel_get();
	sched_point(k->sched);
	return kernel_time(k);
}

LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency)
{
	LARGE_INTEGER v;
	if (PerformanceFrequency)
		PerformanceFrequency->QuadPart = 10000000; /* 100 ns ticks */
	v.QuadPart = (LONGLONG)now();
	return v;
}

VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime)
{
	CurrentTime->QuadPart = (LONGLONG)(KERNEL_EPOCH + now());
}

VOID KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime)
{
	CurrentTime->QuadPart = (LONGLONG)(KERNEL_EPOCH + now());
}

ULONGLONG KeQueryInterruptTime(VOID)
{
	return now();
}

ULONGLONG KeQueryInterruptTimePrecise(PULONG64 QpcTimeStamp)
{
	uint64_t t = now();
	if (QpcTimeStamp)
		*QpcTimeStamp = t;
	return t;
}

/* Nothing sleeps in the simulation, so the unbiased time is the interrupt time. */
ULONGLONG KeQueryUnbiasedInterruptTime(VOID)
{
	return now();
}

ULONGLONG KeQueryUnbiasedInterruptTimePrecise(PULONG64 QpcTimeStamp)
{
	return KeQueryInterruptTimePrecise(QpcTimeStamp);
}

/* A busy wait on this processor: the other processors (simulated threads)
 * go on meanwhile, so it is a scheduling point; simulated time moves by
 * steps, not by the microseconds asked for. Any IRQL. */
VOID KeStallExecutionProcessor(ULONG MicroSeconds)
{
	(void)MicroSeconds;
	sched_point(kernel_get()->sched);
}

VOID KeQueryTickCount(PLARGE_INTEGER CurrentCount)
{
	CurrentCount->QuadPart = (LONGLONG)(now() / KERNEL_TICK);
}

ULONG KeQueryTimeIncrement(VOID)
{
	return KERNEL_TICK;
}
