// Command desktop_example calls desktopd over gRPC with stubs generated from
// proto/desktop/v1/desktop.proto (generate.sh): GetDisplay, a left_click in
// declared pixels, a type action, then one PNG screenshot saved to a file.
//
// Usage:
//
//	DESKTOPD_TOKEN=... desktop_example -target 127.0.0.1:7000 -out shot.png
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	desktopv1 "desktopd/gen/go/desktop/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

func main() {
	target := flag.String("target", "127.0.0.1:7000", "the service's host:port (cleartext HTTP/2)")
	out := flag.String("out", "shot.png", "where the screenshot goes")
	flag.Parse()
	token := os.Getenv("DESKTOPD_TOKEN")
	if token == "" {
		log.Fatal("set DESKTOPD_TOKEN (the service's bearer token, e.g. $(cat ~/.config/desktopd/token))")
	}

	// The service's message limit is 16 MiB: a full-size PNG can pass gRPC's 4 MiB default.
	conn, err := grpc.Dial(*target, grpc.WithInsecure(), grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20)))
	if err != nil {
		log.Fatalf("dial %s: %v", *target, err)
	}
	defer conn.Close()
	client := desktopv1.NewDesktopServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Every call carries the bearer token as gRPC metadata.
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)

	display, err := client.GetDisplay(ctx, &desktopv1.GetDisplayRequest{})
	if err != nil {
		log.Fatalf("GetDisplay: %v", err)
	}
	declared := display.GetDefaultDeclaredSize()
	fmt.Printf("native %dx%d, declared %dx%d, backend %s\n",
		display.GetNativeSize().GetWidth(), display.GetNativeSize().GetHeight(), declared.GetWidth(), declared.GetHeight(), display.GetBackend())

	click, err := client.Action(ctx, &desktopv1.ActionRequest{
		ScaledSize: declared,
		Action: &desktopv1.ActionRequest_LeftClick{LeftClick: &desktopv1.ClickAction{
			Coordinate: &desktopv1.Point{X: declared.GetWidth() / 2, Y: declared.GetHeight() / 2},
		}},
	})
	if err != nil {
		log.Fatalf("Action left_click: %v", err)
	}
	fmt.Printf("left_click: %s, cursor %d,%d\n", click.GetOutput(), click.GetCursor().GetX(), click.GetCursor().GetY())

	typed, err := client.Action(ctx, &desktopv1.ActionRequest{
		Action: &desktopv1.ActionRequest_Type{Type: &desktopv1.TypeAction{Text: "hello from Go"}},
	})
	if err != nil {
		log.Fatalf("Action type: %v", err)
	}
	fmt.Printf("type: %s\n", typed.GetOutput())

	// max_fps 0: one frame, then the stream ends.
	stream, err := client.Screenshot(ctx, &desktopv1.ScreenshotRequest{Format: desktopv1.ImageFormat_IMAGE_FORMAT_PNG})
	if err != nil {
		log.Fatalf("Screenshot: %v", err)
	}
	frame, err := stream.Recv()
	if err != nil {
		log.Fatalf("Screenshot: %v", err)
	}
	image := frame.GetImage()
	if err := os.WriteFile(*out, image.GetData(), 0o644); err != nil {
		log.Fatalf("write %s: %v", *out, err)
	}
	fmt.Printf("screenshot: %dx%d PNG, %d bytes -> %s\n", image.GetWidth(), image.GetHeight(), len(image.GetData()), *out)
}
