/**
 * Work for the transcoder fleet. Implementations are chosen by URL: `file:///path` (a durable local
 * queue) or an SQS queue URL. Semantics follow SQS: a received message is invisible to other
 * consumers for its visibility timeout, reappears if not deleted, and moves to the dead-letter
 * queue once it has been received `maxReceiveCount` times, or at once by deadLetter().
 */

/** Longest reason kept with a dead-lettered message. */
export const MAX_DEAD_LETTER_REASON = 1024;
export interface QueueMessage {
  readonly id: string;
  /** Opaque token for extend/delete/release of this particular receive. */
  readonly receiptHandle: string;
  readonly body: string;
  /** 1 on the first receive. */
  readonly receiveCount: number;
}

export interface ReceiveOptions {
  readonly maxMessages?: number;
  /** Long-poll wait; 0 returns at once. */
  readonly waitSeconds?: number;
  readonly visibilitySeconds?: number;
  /** Aborts a long poll (shutdown). */
  readonly signal?: AbortSignal;
}

export interface JobQueue {
  readonly location: string;
  send(body: string): Promise<string>;
  receive(opts?: ReceiveOptions): Promise<QueueMessage[]>;
  /** Sets the message's remaining visibility to `seconds` from now (SQS ChangeMessageVisibility). */
  extend(msg: QueueMessage, seconds: number): Promise<void>;
  /** Makes the message visible again at once. */
  release(msg: QueueMessage): Promise<void>;
  delete(msg: QueueMessage): Promise<void>;
  /**
   * Moves the message to the dead-letter queue at once with the reason (a job that can never
   * succeed), instead of waiting for it to be received maxReceiveCount times.
   */
  deadLetter(msg: QueueMessage, reason: string): Promise<void>;
  close(): Promise<void>;
}
