import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../platform/auth/roles.js';
import { invalidInput, type FieldError } from '../platform/errors/application-error.js';
import { ProblemException } from '../platform/errors/problem.js';
import { ConsistencyProofView, InclusionProofView } from '../platform/http/answers.js';
import { proofPath } from '../platform/http/event-view.js';
import { ApiAnswer, ApiRead } from '../platform/http/openapi.js';
import { cosignedNote } from './evidence.js';
import { TRANSPARENCY_LOG, type TransparencyLog } from './transparency-log.js';
import { ConsistencyProofQueryDto, InclusionProofQueryDto } from './transparency.dto.js';

const NOTE_EXAMPLE =
  'permit-ledger.example\n1042\nbpIbKzr3Q3lr6Y/KTwsQnqBWwL26ZGG2gM4mS7yGL/E=\n\n\u2014 permit-ledger.example Az3grlc1...\n\u2014 witness.audit.example 8kH2ZgAA...\n';

/**
 * The ledger as a transparency log (RFC 9162 tree, C2SP signed checkpoints), for auditors and witnesses: no token,
 * since a checkpoint, a key and proofs are hashes that reveal nothing of a permit. Requests without a token are
 * held to the per-address public read budget (PUBLIC_RATE_LIMIT_PER_MINUTE), as every tokenless GET.
 */
@ApiTags('ledger')
@Controller('ledger')
export class TransparencyController {
  constructor(@Inject(TRANSPARENCY_LOG) private readonly log: TransparencyLog) {}

  @Get('checkpoint')
  @Public()
  @ApiRead({
    summary: 'The latest signed checkpoint (C2SP tlog-checkpoint)',
    description:
      "A C2SP signed note: `<origin>\\n<size>\\n<base64 root>\\n`, a blank line, the log's signature line (`— <origin> <base64(key hash || Ed25519 signature)>`), " +
      "then one cosignature line per witness that cosigned it (C2SP tlog-cosignature). Verify it with GET /ledger/verifier-key's key, obtained once through a channel you trust. " +
      "The tree covers every event in log order except the ledger's own anchors; leaf i is SHA-256(0x00 || the 32 bytes of event i's `hash`). " +
      '404 `NO_CHECKPOINT` before the first checkpoint.',
    roles: 'public',
    problems: ['NO_CHECKPOINT', 'STORE_UNAVAILABLE'],
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'The signed checkpoint note and its cosignatures.',
    content: { 'text/plain': { schema: { type: 'string', example: NOTE_EXAMPLE } } },
  })
  async checkpoint(@Res() res: Response) {
    const latest = await this.log.latest();
    if (!latest) throw new ProblemException(404, 'NO_CHECKPOINT', 'the ledger has signed no checkpoint yet', {}, { 'Retry-After': '1' });
    res.type('text/plain; charset=utf-8').send(cosignedNote(latest));
  }

  @Get('verifier-key')
  @Public()
  @ApiRead({
    summary: 'The note verifier key of the checkpoints',
    description:
      'C2SP signed-note verifier key `<name>+<8 hex key hash>+<base64(0x01 || Ed25519 public key)>`, without a trailing newline. ' +
      'Obtain it once through a channel you trust, and keep it: it verifies every checkpoint and every evidence bundle.',
    roles: 'public',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'The verifier key.',
    content: {
      'text/plain': {
        schema: {
          type: 'string',
          pattern: '^[^+\\s]+\\+[0-9a-f]{8}\\+[A-Za-z0-9+/]+=*$',
          example: 'permit-ledger.example+3a6e0e8d+AQ1c5Lr0lKpm1l0sOv9yRjK9fM0tUj6kN8S8kT1u3dC2',
        },
      },
    },
  })
  verifierKey(@Res() res: Response) {
    res.type('text/plain; charset=utf-8').send(this.log.verifierKey());
  }

  @Get('proof/inclusion')
  @Public()
  @ApiRead({
    summary: 'RFC 9162 inclusion proof of a leaf',
    description:
      'The audit path of leaf `leaf` in the tree of `size` leaves (RFC 9162 2.1.3), node hashes in base64: with the leaf hash (SHA-256(0x00 || event hash)) ' +
      "it recomputes the root of a checkpoint of that size. `size` must not exceed the latest checkpoint's, and `leaf` must be below `size` (else 400 naming them).",
    roles: 'public',
    problems: ['VALIDATION_FAILED', 'STORE_UNAVAILABLE'],
  })
  @ApiAnswer(200, InclusionProofView)
  async inclusion(@Query() query: InclusionProofQueryDto): Promise<InclusionProofView> {
    const { leaf, size } = query;
    const errors = await this.withinLatest(size);
    if (leaf >= size) errors.push({ field: 'leaf', messages: [`leaf must be below size (${size})`] });
    if (errors.length) throw invalidInput(errors);
    return { leaf, size, path: proofPath(await this.log.inclusionProof(leaf, size)) };
  }

  @Get('proof/consistency')
  @Public()
  @ApiRead({
    summary: 'RFC 9162 consistency proof between two tree sizes',
    description:
      'The proof (RFC 9162 2.1.4) that the tree of `size` leaves extends the tree of `from` leaves, node hashes in base64: hold a checkpoint, fetch a newer one, ' +
      "and check they agree before trusting the newer (the CLI's `audit` does). `from` is at least 1 (the empty tree needs no proof) and at most `size`, " +
      "`size` at most the latest checkpoint's (else 400 naming them); `from` = `size` gives an empty path.",
    roles: 'public',
    problems: ['VALIDATION_FAILED', 'STORE_UNAVAILABLE'],
  })
  @ApiAnswer(200, ConsistencyProofView)
  async consistency(@Query() query: ConsistencyProofQueryDto): Promise<ConsistencyProofView> {
    const { from, size } = query;
    const errors = await this.withinLatest(size);
    if (from === 0)
      errors.push({
        field: 'from',
        messages: ['from must be at least 1: the empty tree is consistent with every tree, no proof is needed'],
      });
    else if (from > size) errors.push({ field: 'from', messages: [`from must not be beyond size (${size})`] });
    if (errors.length) throw invalidInput(errors);
    return { from, size, path: proofPath(await this.log.consistencyProof(from, size)) };
  }

  /** A size error when `size` is beyond the latest checkpoint (proofs are only of signed tree sizes). */
  private async withinLatest(size: number): Promise<FieldError[]> {
    const latest = (await this.log.latest())?.size ?? 0;
    return size > latest ? [{ field: 'size', messages: [`size must be at most ${latest}, the latest checkpoint's size`] }] : [];
  }
}
