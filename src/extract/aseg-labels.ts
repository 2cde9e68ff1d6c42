/**
 * FreeSurfer aseg label numbers and the names the common tools give them, so volume tables that
 * name structures (aseg.stats StructName, asegstats2table columns, SynthSeg --vol columns) map onto
 * the same label numbers as the feature definitions. Names follow FreeSurferColorLUT.txt; SynthSeg
 * writes lower-case names with spaces ("left cerebral white matter"), FreeSurfer 6 calls the
 * thalamus "Thalamus-Proper". Matching is on a normalised key (lower case, letters and digits only),
 * so "Left-Thalamus", "left thalamus" and "Left_Thalamus" are one structure. FreeSurfer 6/7 leave
 * cortex and cerebral white matter (2, 3, 41, 42) out of the aseg.stats table and give them as
 * surface-based measures (lhCortexVol, lhCerebralWhiteMatterVol, ...): those names map to the labels.
 * FreeSurfer 5.x called the white-matter measures lhCorticalWhiteMatterVol / rhCorticalWhiteMatterVol
 * (the same quantity: cerebral white matter from the surfaces), so they map to 2/41 too.
 */
export interface AsegLabel {
  label: number;
  /** FreeSurferColorLUT name (FreeSurfer 7). */
  name: string;
  /** Other spellings seen in tables (FreeSurfer 6, SynthSeg). */
  aliases: string[];
}

const L = (label: number, name: string, ...aliases: string[]): AsegLabel => ({ label, name, aliases });

export const ASEG_LABELS: readonly AsegLabel[] = [
  L(0, 'Unknown', 'background'),
  L(2, 'Left-Cerebral-White-Matter', 'left cerebral white matter', 'lhCerebralWhiteMatterVol', 'lhCorticalWhiteMatterVol'),
  L(3, 'Left-Cerebral-Cortex', 'left cerebral cortex', 'lhCortexVol'),
  L(4, 'Left-Lateral-Ventricle', 'left lateral ventricle'),
  L(5, 'Left-Inf-Lat-Vent', 'left inferior lateral ventricle'),
  L(7, 'Left-Cerebellum-White-Matter', 'left cerebellum white matter'),
  L(8, 'Left-Cerebellum-Cortex', 'left cerebellum cortex'),
  L(10, 'Left-Thalamus', 'Left-Thalamus-Proper', 'left thalamus'),
  L(11, 'Left-Caudate', 'left caudate'),
  L(12, 'Left-Putamen', 'left putamen'),
  L(13, 'Left-Pallidum', 'left pallidum'),
  L(14, '3rd-Ventricle', '3rd ventricle'),
  L(15, '4th-Ventricle', '4th ventricle'),
  L(16, 'Brain-Stem', 'brain-stem', 'brainstem'),
  L(17, 'Left-Hippocampus', 'left hippocampus'),
  L(18, 'Left-Amygdala', 'left amygdala'),
  L(24, 'CSF', 'csf'),
  L(26, 'Left-Accumbens-area', 'left accumbens area', 'left accumbens'),
  L(28, 'Left-VentralDC', 'left ventral DC'),
  L(30, 'Left-vessel'),
  L(31, 'Left-choroid-plexus'),
  L(41, 'Right-Cerebral-White-Matter', 'right cerebral white matter', 'rhCerebralWhiteMatterVol', 'rhCorticalWhiteMatterVol'),
  L(42, 'Right-Cerebral-Cortex', 'right cerebral cortex', 'rhCortexVol'),
  L(43, 'Right-Lateral-Ventricle', 'right lateral ventricle'),
  L(44, 'Right-Inf-Lat-Vent', 'right inferior lateral ventricle'),
  L(46, 'Right-Cerebellum-White-Matter', 'right cerebellum white matter'),
  L(47, 'Right-Cerebellum-Cortex', 'right cerebellum cortex'),
  L(49, 'Right-Thalamus', 'Right-Thalamus-Proper', 'right thalamus'),
  L(50, 'Right-Caudate', 'right caudate'),
  L(51, 'Right-Putamen', 'right putamen'),
  L(52, 'Right-Pallidum', 'right pallidum'),
  L(53, 'Right-Hippocampus', 'right hippocampus'),
  L(54, 'Right-Amygdala', 'right amygdala'),
  L(58, 'Right-Accumbens-area', 'right accumbens area', 'right accumbens'),
  L(60, 'Right-VentralDC', 'right ventral DC'),
  L(62, 'Right-vessel'),
  L(63, 'Right-choroid-plexus'),
  L(72, '5th-Ventricle'),
  L(77, 'WM-hypointensities', 'white matter hypointensities', 'WMH'),
  L(78, 'Left-WM-hypointensities'),
  L(79, 'Right-WM-hypointensities'),
  L(80, 'non-WM-hypointensities'),
  L(81, 'Left-non-WM-hypointensities'),
  L(82, 'Right-non-WM-hypointensities'),
  L(85, 'Optic-Chiasm', 'optic chiasm'),
  L(251, 'CC_Posterior'),
  L(252, 'CC_Mid_Posterior'),
  L(253, 'CC_Central'),
  L(254, 'CC_Mid_Anterior'),
  L(255, 'CC_Anterior'),
];

/** Normalised matching key: lower case, letters and digits only. */
export function nameKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

const byKey = new Map<string, number>();
for (const l of ASEG_LABELS) {
  for (const n of [l.name, ...l.aliases]) byKey.set(nameKey(n), l.label);
}
const byLabel = new Map<number, AsegLabel>(ASEG_LABELS.map((l) => [l.label, l]));

/** Label number for a structure name in any of the known spellings, or undefined. */
export function labelForName(name: string): number | undefined {
  return byKey.get(nameKey(name));
}

/** FreeSurferColorLUT name of an aseg label, or undefined for labels outside the table. */
export function nameForLabel(label: number): string | undefined {
  return byLabel.get(label)?.name;
}
