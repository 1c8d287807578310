import { Module } from '@nestjs/common';
import { CustomsNotifier } from './customs-notifier.js';

/** Notifications to the border agency of permits' status changes (off unless CUSTOMS_WEBHOOK_URL is set). */
@Module({ providers: [CustomsNotifier], exports: [CustomsNotifier] })
export class CustomsModule {}
