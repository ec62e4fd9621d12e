//go:build unix

package store

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the test process used so far (all threads,
// user and system). Benchmarks report it per op next to wall time, which
// other processes on a shared machine inflate.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
