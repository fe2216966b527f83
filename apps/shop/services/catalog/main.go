// The catalog service: a static product list over HTTP, request counts in the Prometheus text format on a
// second port (9090), and graceful shutdown on SIGTERM.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

type product struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Cents int    `json:"cents"`
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"status":"ok"}`))
	})
	var served atomic.Int64
	mux.HandleFunc("/products", func(w http.ResponseWriter, _ *http.Request) {
		served.Add(1)
		json.NewEncoder(w).Encode([]product{{"p1", "Mug", 1200}, {"p2", "Shirt", 2500}})
	})
	metrics := http.NewServeMux()
	metrics.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# TYPE catalog_product_requests_total counter\ncatalog_product_requests_total %d\n", served.Load())
	})
	server := &http.Server{Addr: ":8080", Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	metricsServer := &http.Server{Addr: ":9090", Handler: metrics, ReadHeaderTimeout: 5 * time.Second}
	go server.ListenAndServe()
	go metricsServer.ListenAndServe()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	server.Shutdown(ctx)
	metricsServer.Shutdown(ctx)
}
