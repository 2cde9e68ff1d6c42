import type { Command } from 'commander';
import { writeAtomic } from '../io/atomic.js';
import { printDone, QUIET_FLAGS, QUIET_HELP } from './options.js';
import { findSidecarTable, labelVolumes, readLabelMap, readLabelTable, volumesCsv } from '../nifti/index.js';

export interface VolumesOptions {
  names?: string;
  out?: string;
  quiet?: boolean;
}

/** `ms-subtype volumes <labelmap>`: label,name,voxels,volume_mm3 for every label present. */
export function register(program: Command): void {
  program
    .command('volumes')
    .description('Voxel count and volume (mm^3) of every label in one label map')
    .argument('<labelmap>', 'label map: .nii, .nii.gz, .hdr/.img pair (NIfTI-1 or -2), or FreeSurfer .mgz/.mgh')
    .option('--names <file>', 'label table: FreeSurferColorLUT.txt, BIDS *_dseg.tsv, or MRIcron .nii.txt')
    .option('-o, --out <file>', 'write the CSV here (atomically) instead of stdout')
    .option(QUIET_FLAGS, QUIET_HELP)
    .addHelpText(
      'after',
      `
Output: CSV with columns label,name,voxels,volume_mm3, one row per label present (0 included), in
ascending label order. volume_mm3 = voxels x |det| of the 3x3 part of the affine (sform if
sform_code > 0, else qform, else pixdim, as nibabel chooses), in mm^3.

Names come from --names; else from a sidecar beside the label map (<file>.txt as MRIcron ships,
e.g. aal.nii.txt, or *_dseg.tsv for a BIDS *_dseg.nii.gz); else from label text embedded in the
file (MRIcron atlases); else the name column is empty.

Float label maps are accepted when every value is within 1e-3 of an integer. 4D images with more
than one volume, CIFTI files, truncated or corrupt files are refused with a one-line error.

Examples:
  ms-subtype volumes sub-01_dseg.nii.gz
  ms-subtype volumes aseg.mgz --names $FREESURFER_HOME/FreeSurferColorLUT.txt --out aseg_volumes.csv
`,
    )
    .action((labelmap: string, opts: VolumesOptions) => {
      const map = readLabelMap(labelmap);
      const tableFile = opts.names ?? findSidecarTable(labelmap);
      const names = tableFile !== null ? readLabelTable(tableFile) : map.embeddedNames;
      const volumes = labelVolumes(map, names);
      const csv = volumesCsv(volumes);
      if (opts.out === undefined) {
        process.stdout.write(csv);
        return;
      }
      writeAtomic(opts.out, csv);
      printDone(opts.quiet, [`${volumes.length} labels; wrote ${opts.out}`], [opts.out]);
    });
}
