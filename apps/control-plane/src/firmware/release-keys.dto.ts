import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';

export class ReleaseKeyCreateDto {
  @ApiProperty({ example: 'release key 2026' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiProperty({
    description: 'Ed25519 public key, SPKI PEM (`fleetctl firmware keygen` writes <keyId>.pub)',
    example: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA...\n-----END PUBLIC KEY-----\n',
  })
  @IsString()
  @MaxLength(4096)
  @Matches(/-----BEGIN PUBLIC KEY-----/, { message: 'must be a PEM public key (BEGIN PUBLIC KEY)' })
  publicKeyPem!: string;
}

export class ReleaseKeyDto {
  @ApiProperty({ description: 'first 16 hex characters of SHA-256 over the key (SPKI DER)' })
  keyId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() publicKeyPem!: string;
  @ApiProperty() createdAt!: Date;
  @ApiPropertyOptional({ nullable: true, type: Date }) revokedAt!: Date | null;
}

export class ReleaseKeyListDto {
  @ApiProperty({ type: [ReleaseKeyDto] }) items!: ReleaseKeyDto[];
}
