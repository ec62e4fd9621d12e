module github.com/lfevents/lfevents/e2e

go 1.25

require (
	github.com/apache/yunikorn-scheduler-interface v1.7.0
	github.com/chromedp/chromedp v0.23.0
	github.com/lfevents/lfevents v0.0.0
)

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/dgryski/go-metro v0.0.0-20250106013310-edb8663e5e33 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	golang.org/x/net v0.43.0 // indirect
	golang.org/x/sys v0.35.0 // indirect
	golang.org/x/text v0.28.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20241202173237-19429a94021a // indirect
	google.golang.org/grpc v1.70.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

replace github.com/lfevents/lfevents => ../
