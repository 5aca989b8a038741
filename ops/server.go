package ops

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pantau/pantau/store"
)

// Handler serves /metrics, /healthz, /readyz, GET /backup and the Go
// profiler under /debug/pprof/ (so a live daemon, such as the soak's
// child, can be profiled where it runs; the listener is loopback-only and
// already hands out the whole store, so this exposes nothing new). Requests
// must name a loopback host: a web page the operator has open cannot
// reach it through a DNS name rebound to 127.0.0.1 and read the store.
func Handler(m *Metrics, h *Health, st *store.Store, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	}))
	mux.HandleFunc("GET /healthz", h.Healthz)
	mux.HandleFunc("GET /readyz", h.Readyz)
	mux.Handle("GET /backup", BackupHandler(st, log))
	// Registered on this mux only, never on http.DefaultServeMux: the
	// dashboard's listener must not serve them.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return loopbackOnly(mux)
}

func loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if !isLoopback(host) {
			http.Error(w, "the ops listener answers loopback host names only", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// BackupHandler streams a consistent snapshot of the store, taken in one
// read transaction while the daemon goes on writing.
func BackupHandler(st *store.Store, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		n, err := st.Snapshot(w, func(size int64) {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
			w.Header().Set("Content-Disposition", `attachment; filename="pantau.db"`)
			w.Header().Set("X-Pantau-Schema", strconv.Itoa(store.SchemaVersion()))
		})
		if err != nil {
			// Headers are gone: the short body (Content-Length) tells the
			// client the copy is incomplete.
			log.Error("backup stream failed", "bytes", n, "err", err)
			return
		}
		log.Info("backup streamed", "bytes", n, "took", time.Since(start).Round(time.Millisecond))
	})
}

// Serve runs the ops HTTP server on ln until ctx is done, then shuts it
// down within a few seconds.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(sctx)
		if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
			err = e
		}
		return err
	}
}
