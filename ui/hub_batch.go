package ui

import (
	"encoding/binary"
	"time"
)

// maxBatchFrames bounds the frames one socket write carries.
const maxBatchFrames = 256

// writeQueued writes frame, and every frame already queued behind it, as
// websocket text messages (one event per message, as the protocol says)
// with a single writev to the socket. It reports open false when the hub
// closed c.send meanwhile: the writer must then close with c.closeCode.
//
// Why not gorilla's WriteMessage per frame: it makes one system call per
// message, so 1,000 events a second to 500 dashboards are half a million
// calls a second, and on two cores the p99 from commit to client went past
// a second (BenchmarkDashboardLoad). A dashboard that fell a little behind
// now catches up with one call. The bytes on the wire are the same: an
// unmasked server frame is a two-to-ten-byte header and the payload. Only
// writeLoop writes to the connection, so gorilla's own writes (pings,
// close) never interleave with these.
func (h *hub) writeQueued(c *client, frame []byte) (open bool, err error) {
	if h.oneWritePerFrame {
		return true, h.write(c, websocketText, frame)
	}
	frames := append(c.batch[:0], frame)
	defer func() { clear(frames); c.batch = frames[:0] }() // keep no frame alive
	open = true
drain:
	for len(frames) < maxBatchFrames {
		select {
		case f, ok := <-c.send:
			if !ok {
				open = false
				break drain
			}
			frames = append(frames, f)
		default:
			break drain
		}
	}
	return open, h.writeFrames(c, frames)
}

// writeFrames writes frames as websocket text messages, one event per
// message, with as few socket writes as writeQueued makes.
func (h *hub) writeFrames(c *client, frames [][]byte) error {
	if h.oneWritePerFrame || len(frames) == 1 {
		for _, f := range frames {
			if err := h.write(c, websocketText, f); err != nil {
				return err
			}
		}
		return nil
	}
	// The headers and the vector are the client's own, reused: each write
	// allocating them was most of the hub's garbage in the soak.
	headers := c.headers[:0]
	for _, f := range frames {
		headers = appendFrameHeader(headers, len(f))
	}
	bufs := c.bufs[:0]
	at := 0
	for _, f := range frames {
		n := frameHeaderLen(len(f))
		bufs = append(bufs, headers[at:at+n:at+n], f)
		at += n
	}
	c.headers, c.bufs = headers, bufs
	nc := c.conn.NetConn()
	nc.SetWriteDeadline(time.Now().Add(h.writeWait))
	_, err := bufs.WriteTo(nc) // consumes its copy of the slice, clearing c.bufs' entries
	return err
}

// websocketText is websocket.TextMessage, the opcode of a text frame.
const websocketText = 1

// frameHeaderLen is the length appendFrameHeader gives an n-byte payload.
func frameHeaderLen(n int) int {
	switch {
	case n < 126:
		return 2
	case n <= 0xffff:
		return 4
	default:
		return 10
	}
}

// appendFrameHeader appends the header of a final, unmasked text frame
// with an n-byte payload (RFC 6455 section 5.2).
func appendFrameHeader(b []byte, n int) []byte {
	b = append(b, 0x80|websocketText)
	switch {
	case n < 126:
		return append(b, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 126), uint16(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, 127), uint64(n))
	}
}
