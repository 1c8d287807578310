import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller.js';

/** The dashboard page. */
@Module({ controllers: [DashboardController] })
export class DashboardModule {}
