package notify

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// The latency an on-call lead cares about: from the moment Pantau decides
// an alert (a mention crossed a rule) to the receiver getting the request.
// Real store file (with fsync), real clock, a local receiver.
//
//	go test -run '^$' -bench Latency -benchtime 300x ./alerting/notify/

func BenchmarkLatencyEnqueueToReceiver(b *testing.B) {
	benchLatency(b, func(st *store.Store, d *Dispatcher, a store.Alert) error {
		return d.Notify(a, Trigger) // store Enqueue + wake
	}, false)
}

// BenchmarkLatencyAlertEventToReceiver starts earlier: at the pipeline's
// own commit of the new alert (store.PutAlert); the follower turns the
// event into an outbox item.
func BenchmarkLatencyAlertEventToReceiver(b *testing.B) {
	benchLatency(b, func(st *store.Store, d *Dispatcher, a store.Alert) error {
		_, err := st.PutAlert(a)
		return err
	}, true)
}

func benchLatency(b *testing.B, raise func(*store.Store, *Dispatcher, store.Alert) error, follow bool) {
	got := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
		got <- struct{}{}
	}))
	defer srv.Close()
	st, err := store.Open(filepath.Join(b.TempDir(), "pantau.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	n, err := Build([]ReceiverConfig{{Name: "hook", Kind: KindWebhook, Webhook: &WebhookConfig{URL: secret.New(srv.URL + "/h"), Secret: secret.New("0123456789abcdef")}}}, Deps{})
	if err != nil {
		b.Fatal(err)
	}
	r := &Renderer{PublicURL: "https://pantau.example.com", Signer: &AckSigner{Key: secret.New("0123456789abcdef0123456789abcdef")}}
	d := NewDispatcher(st, Notifiers(n), nil, nil, DispatcherOptions{Renderer: r, Mention: st.Mention})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.Run(ctx)
	if follow {
		go d.FollowAlerts(ctx, st)
		for {
			if _, ok, _ := st.OutboxCursor(followCursor); ok {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := testAlert()
		a.ID = fmt.Sprintf("viral|bench:%d", i)
		t0 := time.Now()
		if err := raise(st, d, a); err != nil {
			b.Fatal(err)
		}
		select {
		case <-got:
		case <-time.After(10 * time.Second):
			b.Fatal("the receiver got nothing in 10 s")
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}
