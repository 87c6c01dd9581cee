/** What the crossing knows of a view of this gateway (DesktopView). */
export interface CrossingView {
  readonly id: string;
  readonly viberId: string;
}

/** What the relay asks of the crossing (desktop-crossing.ts) for a view of a viber another gateway holds. */
export interface DesktopRelayCrossing {
  /** The other gateway holding the viber's socket, if one does. */
  where(viberId: string): string | undefined;
  open(view: CrossingView, holder: string): void;
  /** Filtered RFB bytes (base64) of the viewer. */
  input(view: CrossingView, data: string): void;
  /** The view ended on this gateway (its viewer went away, or sent what is not RFB). */
  close(view: CrossingView): void;
}

/** On the gateway holding a viber: a view of a viewer connected to another gateway. */
export interface ServedView {
  readonly id: string;
  readonly viberId: string;
  /** The viber's RFB bytes, one daemon frame. */
  output(bytes: Uint8Array): void;
  /** The viber closed the VNC connection, or went away. */
  closed(reason: string): void;
}
