import { storySteps, type StoryStep } from './story.js';

export interface StoryAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON answer read by path; the caller's checks say what it must hold
  body: any;
}

/** How the story reaches the service: over HTTP with a token for the role (the CLI and the e2e spec). */
export interface StoryClient {
  call(method: 'GET' | 'POST', path: string, role: string, body?: unknown): Promise<StoryAnswer>;
}

export interface StoryProgress {
  index: number;
  total: number;
  step: StoryStep;
  answer: StoryAnswer;
}

export class StoryStepError extends Error {
  constructor(
    readonly step: StoryStep,
    readonly answer: StoryAnswer,
  ) {
    super(`"${step.label}" answered ${answer.status} (expected ${step.expectStatus}): ${JSON.stringify(answer.body)}`);
    this.name = 'StoryStepError';
  }
}

/**
 * Loads the story through the public API in effective-time order. Every step must answer as the
 * story says (refusals included); decision steps wait until the decision is COMPLETED, and steps that set the
 * application process manager going wait until the applications read as it must leave them.
 */
export async function runStory(
  client: StoryClient,
  onStep: (progress: StoryProgress) => void = () => undefined,
  options: { decisionTimeoutMs?: number } = {},
): Promise<StoryProgress[]> {
  const steps = storySteps();
  const done: StoryProgress[] = [];
  for (const [index, step] of steps.entries()) {
    const answer = await client.call(step.method, step.path, step.role, step.body);
    if (answer.status !== step.expectStatus) throw new StoryStepError(step, answer);
    const timeoutMs = options.decisionTimeoutMs ?? 30_000;
    if (step.awaitDecision) await awaitDecision(client, step.awaitDecision, timeoutMs);
    for (const [ref, fields] of Object.entries(step.awaitApplications ?? {})) await awaitApplication(client, ref, fields, timeoutMs);
    const progress = { index, total: steps.length, step, answer };
    done.push(progress);
    onStep(progress);
  }
  return done;
}

async function awaitDecision(client: StoryClient, ref: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answer = await client.call('GET', `/decisions/${ref}`, 'auditor');
    if (answer.status === 200 && answer.body.status === 'COMPLETED') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`decision ${ref} was not completed within ${timeoutMs} ms`);
}

async function awaitApplication(client: StoryClient, ref: string, fields: Record<string, unknown>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: StoryAnswer | undefined;
  while (Date.now() < deadline) {
    last = await client.call('GET', `/applications/${ref}`, 'auditor');
    if (last.status === 200 && Object.entries(fields).every(([k, v]) => last!.body[k] === v)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`application ${ref} did not reach ${JSON.stringify(fields)} within ${timeoutMs} ms: ${JSON.stringify(last?.body)}`);
}
