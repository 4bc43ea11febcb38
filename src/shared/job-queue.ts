/**
 * Work for the transcoder fleet. Implementations are chosen by URL: `file:///path` (a durable local
 * queue) or an SQS queue URL. Semantics follow SQS: a received message is invisible to other
 * consumers for its visibility timeout, reappears if not deleted, and moves to the dead-letter
 * queue once it has been received `maxReceiveCount` times.
 */
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
  close(): Promise<void>;
}
