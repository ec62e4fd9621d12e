package system

import "sync/atomic"

// processSystem is the process-wide event system, nil until first use.
// Written by GetEventSystem (once, with a CAS) and by Init (a swap); read by
// GetEventSystem with one atomic load.
var processSystem atomic.Pointer[EventSystemImpl]

// GetEventSystem returns the process-wide event system, creating it with
// DefaultConfig on first use (not started: call StartService). After the
// first call it is one atomic load. Safe from any goroutine; concurrent first
// calls all get the same instance. Default returns the same instance with its
// concrete type.
func GetEventSystem() EventSystem {
	return Default()
}

// Default returns the process-wide event system, the instance GetEventSystem
// returns, as an *EventSystemImpl, so that its methods beyond EventSystem
// (Metrics, Reconfigure, Config, ...) need no type assertion. It creates the
// instance on first use, as GetEventSystem does. After Init, it returns the
// new instance.
func Default() *EventSystemImpl {
	if s := processSystem.Load(); s != nil {
		return s
	}
	fresh := New(DefaultConfig())
	if processSystem.CompareAndSwap(nil, fresh) {
		return fresh
	}
	// Another goroutine won. fresh was never started and runs no goroutine:
	// dropping it is enough.
	return processSystem.Load()
}

// Init replaces the process-wide event system with a fresh one built from
// DefaultConfig (not started) and stops the old one, if any, as Stop does;
// an old one that was never started is stopped too (its streams closed).
// Records added to the old one afterwards (by holders of the old instance)
// are rejected. Called from the old system's plugin (in SendEvent), it
// installs the fresh system at once and stops the old one on a new goroutine
// once SendEvent has returned (see EventPlugin).
func Init() {
	InitWithConfig(DefaultConfig())
}

// InitWithConfig is Init with a Config of one's own, for example
// ConfigFromMap of the scheduler's configuration map.
func InitWithConfig(cfg Config) {
	if old := processSystem.Swap(New(cfg)); old != nil {
		old.retire()
	}
}
