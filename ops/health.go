package ops

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/pantau/pantau/store"
)

// Health answers /healthz and /readyz.
type Health struct {
	Store *store.Store
	// CollectorsRunning reports whether the collectors' scheduler runs
	// (false before start, after stop, or between a reload's stop and
	// start).
	CollectorsRunning func() bool
	// Now is the clock for "failing for"; nil means time.Now.
	Now func() time.Time
}

// Healthz says the process is alive and answering: nothing else is
// checked, so a supervisor restarts it only when it hangs.
func (h *Health) Healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// Readyz says whether the daemon does its work: the store answers reads,
// its last write transaction committed, and the collectors run. Each
// failed check is named with a reason an operator can act on.
func (h *Health) Readyz(w http.ResponseWriter, r *http.Request) {
	checks, ok := h.Check()
	status, code := "ready", http.StatusOK
	if !ok {
		status, code = "not ready", http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"status": status, "checks": checks})
}

// Check runs the readiness checks: name -> "ok" or what is wrong.
func (h *Health) Check() (map[string]string, bool) {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	checks := map[string]string{"store": "ok", "writes": "ok", "collectors": "ok"}
	ok := true
	if _, err := h.Store.LastSeq(); err != nil {
		checks["store"], ok = "cannot read the store: "+err.Error(), false
	}
	if ws := h.Store.WriteStats(); ws.Failing != nil {
		checks["writes"] = "writes fail since " + ws.FailingSince.UTC().Format(time.RFC3339) +
			" (" + now().Sub(ws.FailingSince).Round(time.Second).String() + "): " + ws.Failing.Error()
		ok = false
	}
	if h.CollectorsRunning != nil && !h.CollectorsRunning() {
		checks["collectors"], ok = "the collectors are not running", false
	}
	return checks, ok
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	data, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(append(data, '\n'))
}
