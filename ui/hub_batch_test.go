package ui

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Frames written together reach a standard websocket client as separate
// text messages, in order, whatever their length (all three header forms),
// and a send channel closed by the hub is reported so the writer can close.
func TestWriteQueuedFramesAreSeparateMessages(t *testing.T) {
	h := newHub(nil, testLogger(t), func(*http.Request) bool { return true })
	frames := [][]byte{[]byte(`{"seq":1}`), bytes.Repeat([]byte("a"), 200), bytes.Repeat([]byte("b"), 70000), []byte(`{"seq":4}`)}
	result := make(chan [2]any, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := h.upgrader.Upgrade(w, r, nil)
		if err != nil {
			result <- [2]any{false, err}
			return
		}
		c := &client{conn: conn, send: make(chan []byte, len(frames))}
		for _, f := range frames[1:] {
			c.send <- f
		}
		close(c.send)
		open, err := h.writeQueued(c, frames[0])
		result <- [2]any{open, err}
		h.closeWith(c, websocket.CloseTryAgainLater, "too slow")
		// Wait for the client's answer to the close before hanging up.
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				break
			}
		}
		conn.Close()
	}))
	defer srv.Close()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i, want := range frames {
		typ, got, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if typ != websocket.TextMessage || !bytes.Equal(got, want) {
			t.Fatalf("message %d: type %d, %d bytes, want text of %d bytes", i, typ, len(got), len(want))
		}
	}
	if _, _, err := conn.ReadMessage(); closeCode(err) != websocket.CloseTryAgainLater {
		t.Errorf("after the frames: %v, want close %d", err, websocket.CloseTryAgainLater)
	}
	if r := <-result; r[0] != false || r[1] != nil {
		t.Errorf("writeQueued = %v, %v; want open false (the hub closed send), no error", r[0], r[1])
	}
}
