/** Version of the daemon<->gateway WebSocket protocol, agreed in the `welcome` message. */
export const PROTOCOL_VERSION = 1;

/** Header that marks an SSE response as an AI SDK UI message stream (protocol document, section 2). */
export const UI_MESSAGE_STREAM_HEADER = 'x-vercel-ai-ui-message-stream';
export const UI_MESSAGE_STREAM_VERSION = 'v1';
