import { Module } from '@nestjs/common';
import { FeedController } from './feed.controller.js';

/** The live feed of the log (server-sent events). */
@Module({ controllers: [FeedController] })
export class FeedModule {}
