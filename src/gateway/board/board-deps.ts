import type { BoardEventPublisher } from '../events/board-event-publisher.ts';
import type { BoardEventStreams } from '../events/events-routes.ts';
import type { BoardSessions } from './board-sessions.ts';

/** What the board's routes need: sign-in, the push-event channel and the built app's folder. */
export interface BoardDeps {
  sessions: BoardSessions;
  publisher: BoardEventPublisher;
  eventStreams: BoardEventStreams;
  /** The built board (web/build); a missing folder answers pages with 503 and how to build it. */
  dir: string;
}
