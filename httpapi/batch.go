package httpapi

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// minCompressSize is the smallest body that is gzipped (the reference's
// threshold: below it the gzip framing costs more than it saves).
const minCompressSize = 1400

// maxPooledBuffer is the largest encoding buffer kept for reuse (a part of a
// response is about maxWriteBatch bytes, more only with a huge record).
const maxPooledBuffer = 8 << 20

var (
	bufPool  = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}
	gzipPool = sync.Pool{New: func() any {
		zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // a valid level never errs
		return zw
	}}
)

func getBuffer() *[]byte { return bufPool.Get().(*[]byte) }

func putBuffer(b *[]byte) {
	if cap(*b) > maxPooledBuffer {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// serveBatch answers GET BatchPath?start=N&count=M: up to count consecutive
// events from ID start, with the lowest and highest IDs held, in the
// reference's JSON object. count defaults to and is capped by the response
// size; count=0, negative or non-numeric values are 400.
func (h *Handler) serveBatch(w http.ResponseWriter, r *http.Request) {
	if !h.sys.IsEventTrackingEnabled() {
		writeError(w, msgTrackingDisabled, http.StatusInternalServerError)
		return
	}
	q := r.URL.Query()
	maxCount := h.responseSize.Load()
	count, err := queryUint(q, "count", maxCount)
	if err != nil {
		writeError(w, err.Error(), http.StatusBadRequest)
		return
	}
	if count = min(count, maxCount); count == 0 {
		writeError(w, msgZeroCount, http.StatusBadRequest)
		return
	}
	start, err := queryUint(q, "start", 0)
	if err != nil {
		writeError(w, err.Error(), http.StatusBadRequest)
		return
	}
	records, lowest, highest := h.sys.GetEventsFromID(start, count)

	// The response is encoded a part at a time as it is written, so that a
	// client that reads slowly holds one part, not the whole response (a
	// 10000-event batch is a few MB): the first part, and if it holds the
	// whole response, it goes out alone with its length.
	buf := getBuffer()
	defer putBuffer(buf)
	enc := batchEncoder{h: h, records: records}
	*buf = enc.head((*buf)[:0], lowest, highest)
	*buf = enc.next(*buf)

	// A client that does not take the response is dropped, as a stream's
	// is: every write of up to maxWriteBatch bytes has the write timeout.
	dw := &deadlineWriter{w: w, rc: http.NewResponseController(w), timeout: h.cfg.writeTimeout}
	var out io.Writer = dw
	var zw *gzip.Writer
	compress := h.cfg.compress && (!enc.done() || len(*buf) >= minCompressSize) && acceptsGzip(r)
	if compress {
		hdr := w.Header()
		hdr.Set("Content-Encoding", "gzip")
		hdr.Add("Vary", "Accept-Encoding")
	} else if enc.done() {
		w.Header().Set("Content-Length", strconv.Itoa(len(*buf)))
	}
	if r.Method == http.MethodHead {
		// The headers a GET would get; the body would be dropped.
		w.WriteHeader(http.StatusOK)
		return
	}
	if compress {
		zw = gzipPool.Get().(*gzip.Writer)
		zw.Reset(dw)
		defer func() {
			zw.Reset(nil)
			gzipPool.Put(zw)
		}()
		out = zw
	}
	err = writeBatch(out, buf, &enc)
	if err == nil && zw != nil {
		err = zw.Close()
	}
	if err != nil {
		h.log.Debug("httpapi: batch response not sent", "error", err)
	}
}

// writeBatch writes the part in buf, then the encoder's next parts, until the
// response is complete.
func writeBatch(out io.Writer, buf *[]byte, enc *batchEncoder) error {
	for {
		if _, err := out.Write(*buf); err != nil {
			return err
		}
		if enc.done() {
			return nil
		}
		*buf = enc.next((*buf)[:0])
	}
}

// batchEncoder encodes the batch object a part at a time, as encoding/json
// encodes the reference's EventRecordDAO (field names as keys, a nil slice
// as null), followed by a newline as json.Encoder writes it.
type batchEncoder struct {
	h       *Handler
	records []*si.EventRecord
	i       int  // next record to encode
	ended   bool // the object is closed
}

// head appends the object's start, up to the records.
func (e *batchEncoder) head(dst []byte, lowest, highest uint64) []byte {
	dst = append(dst, `{"InstanceUUID":`...)
	dst = appendString(dst, e.h.cfg.instanceUUID)
	dst = append(dst, `,"LowestID":`...)
	dst = strconv.AppendUint(dst, lowest, 10)
	dst = append(dst, `,"HighestID":`...)
	dst = strconv.AppendUint(dst, highest, 10)
	dst = append(dst, `,"EventRecords":`...)
	if e.records == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
	}
	return dst
}

// next appends records until dst holds maxWriteBatch bytes or none are
// left, and then the object's end.
func (e *batchEncoder) next(dst []byte) []byte {
	for ; e.i < len(e.records) && len(dst) < maxWriteBatch; e.i++ {
		if e.i > 0 {
			dst = append(dst, ',')
		}
		dst = appendRecord(dst, e.records[e.i])
	}
	if e.i == len(e.records) && !e.ended {
		if e.records != nil {
			dst = append(dst, ']')
		}
		dst = append(dst, "}\n"...)
		e.ended = true
	}
	return dst
}

// done reports whether the whole object has been encoded.
func (e *batchEncoder) done() bool { return e.ended }

// deadlineWriter writes to a response in parts of at most maxWriteBatch
// bytes, each with a fresh write deadline (when the writer supports one),
// so that a client that stops reading is dropped within the timeout while a
// slow one that keeps reading is served. The server clears the deadline
// when the response is done.
type deadlineWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func (d *deadlineWriter) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		part := b[:min(len(b), maxWriteBatch)]
		// A writer without deadlines is written to without one, as before.
		_ = d.rc.SetWriteDeadline(time.Now().Add(d.timeout))
		m, err := d.w.Write(part)
		n += m
		if err != nil {
			return n, err
		}
		b = b[len(part):]
	}
	return n, nil
}

// acceptsGzip reports whether the request's Accept-Encoding lists gzip with
// a non-zero quality.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, tok := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(tok), ";")
			if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					if qv, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil && qv == 0 {
						return false
					}
				}
			}
			return true
		}
	}
	return false
}

// queryUint parses the query parameter key as a decimal uint64; def when it
// is absent or empty.
func queryUint(q url.Values, key string, def uint64) (uint64, error) {
	s := q.Get(key)
	if s == "" {
		return def, nil
	}
	return strconv.ParseUint(s, 10, 64)
}
