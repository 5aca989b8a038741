package ui

import (
	"encoding/json"
	"net/http"
)

// WithConfigView gives GET /api/config (admins only) the effective
// configuration to show. view must return it with every secret already
// redacted; the daemon passes its config, whose secrets marshal as
// "<secret>".
func WithConfigView(view func() any) Option {
	return func(s *Server) { s.configView = view }
}

// showConfig answers GET /api/config.
func (s *Server) showConfig(w http.ResponseWriter, r *http.Request) {
	if _, err := parseParams(r); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if s.configView == nil {
		writeError(w, http.StatusNotFound, "no configuration to show")
		return
	}
	// Marshal here rather than in writeJSON, so a failure is reported as
	// such and nothing half-encoded leaves.
	data, err := json.Marshal(s.configView())
	if err != nil {
		s.internalError(w, r, "encode config", err)
		return
	}
	writeJSON(w, http.StatusOK, json.RawMessage(data))
}
